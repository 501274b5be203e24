package watcher

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

const (
	// Simplified text with 喆 (GBK, not GB2312) and 䶮 (four bytes in GB18030).
	zhSimplified = "潍坊市市场监管局发布2024年第3期食品安全监督抽检信息，抽样人员王喆、李䶮"
	// The same kind of text in traditional characters, all in Big5.
	zhTraditional = "標準局公布市售電暖器商品市場購樣檢測結果，有4件不符合檢驗標準"
)

// encode returns s in enc, failing the test if it cannot be encoded.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

// rssDoc builds a small RSS document around title, with an optional XML
// declaration encoding.
func rssDoc(decl, title string) string {
	var b strings.Builder
	if decl != "" {
		b.WriteString(`<?xml version="1.0" encoding="` + decl + `"?>` + "\n")
	}
	b.WriteString("<rss version=\"2.0\"><channel><title>" + title + "</title></channel></rss>\n")
	return b.String()
}

func TestDecodeUTF8(t *testing.T) {
	gb, big5 := simplifiedchinese.GB18030, traditionalchinese.Big5
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		wantCharset string
		wantText    string // must appear in the decoded text
	}{
		{"utf-8 without any label", []byte(rssDoc("", zhSimplified)), "", "utf-8", zhSimplified},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, rssDoc("utf-8", zhSimplified)...), "", "utf-8", zhSimplified},
		{"utf-16le with BOM", encode(t, utf16le, rssDoc("utf-16", zhTraditional)), "", "utf-16le", zhTraditional},
		{"gb2312 in header, GB18030 bytes", encode(t, gb, rssDoc("", zhSimplified)), "application/rss+xml; charset=gb2312", "gb18030", zhSimplified},
		{"gb2312 in prolog, GB18030 bytes", encode(t, gb, rssDoc("gb2312", zhSimplified)), "text/xml", "gb18030", zhSimplified},
		{"gbk in header and prolog", encode(t, gb, rssDoc("GBK", zhSimplified)), "text/xml; charset=GBK", "gb18030", zhSimplified},
		{"quoted header charset", encode(t, gb, rssDoc("", zhSimplified)), "application/atom+xml;charset='gb2312'", "gb18030", zhSimplified},
		{"big5 in header", encode(t, big5, rssDoc("", zhTraditional)), "application/xml; charset=big5", "big5", zhTraditional},
		{"big5 in prolog", encode(t, big5, rssDoc("big5", zhTraditional)), "", "big5", zhTraditional},
		{"header overrides prolog", []byte(rssDoc("gb2312", zhSimplified)), "text/xml; charset=utf-8", "utf-8", zhSimplified},
		{"html meta charset", encode(t, gb, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>`+zhSimplified+`</body></html>`), "text/html", "gb18030", zhSimplified},
		{"html5 meta charset", encode(t, big5, `<html><head><meta charset="big5"></head><body>`+zhTraditional+`</body></html>`), "", "big5", zhTraditional},
		{"header says gb2312, bytes are utf-8", []byte(rssDoc("", zhSimplified)), "text/xml; charset=gb2312", "utf-8", zhSimplified},
		{"prolog says gb2312, bytes are utf-8", []byte(rssDoc("gb2312", zhSimplified)), "", "utf-8", zhSimplified},
		{"prolog says utf-8, bytes are GB18030", encode(t, gb, rssDoc("utf-8", zhSimplified)), "", "gb18030", zhSimplified},
		{"header says utf-8, bytes are Big5", encode(t, big5, rssDoc("", zhTraditional)), "text/xml; charset=UTF-8", "big5", zhTraditional},
		{"header says big5, bytes are GB18030", encode(t, gb, rssDoc("", zhSimplified)), "text/xml; charset=big5", "gb18030", zhSimplified},
		{"prolog says gb2312, bytes are Big5", encode(t, big5, rssDoc("gb2312", zhTraditional)), "", "big5", zhTraditional},
		{"header says iso-8859-1, bytes are GBK", encode(t, gb, rssDoc("", zhSimplified)), "text/xml; charset=iso-8859-1", "gb18030", zhSimplified},
		{"unknown label, bytes are Big5", encode(t, big5, rssDoc("x-no-such-charset", zhTraditional)), "", "big5", zhTraditional},
		{"no label, GB18030 bytes", encode(t, gb, rssDoc("", zhSimplified)), "", "gb18030", zhSimplified},
		{"no label, Big5 bytes", encode(t, big5, rssDoc("", zhTraditional)), "", "big5", zhTraditional},
		{"ascii with gb2312 header keeps the label", []byte(rssDoc("", "Quality Week")), "application/atom+xml; charset=gb2312", "gb18030", "Quality Week"},
		{"latin-1 label on ascii", []byte(rssDoc("iso-8859-1", "Quality")), "", "windows-1252", "Quality"},
		{"utf-16 header on 8-bit bytes is ignored", []byte(rssDoc("", zhSimplified)), "text/xml; charset=utf-16", "utf-8", zhSimplified},
		{"utf-16 prolog on ascii is ignored", []byte(rssDoc("UTF-16", "Quality")), "", "utf-8", "Quality"},
		{"utf-16be without BOM", encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), rssDoc("utf-16", zhSimplified)), "", "utf-16be", zhSimplified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, charset, err := DecodeUTF8(tt.body, tt.contentType)
			if err != nil {
				t.Fatalf("DecodeUTF8: %v", err)
			}
			if charset != tt.wantCharset {
				t.Errorf("charset = %q, want %q", charset, tt.wantCharset)
			}
			if !utf8.Valid(text) {
				t.Errorf("decoded text is not valid UTF-8")
			}
			if !bytes.Contains(text, []byte(tt.wantText)) {
				t.Errorf("decoded text lacks %q:\n%s", tt.wantText, text)
			}
			if bytes.ContainsRune(text, utf8.RuneError) {
				t.Errorf("decoded text has U+FFFD:\n%s", text)
			}
			if m := prologRe.FindSubmatch(text); m != nil && !strings.EqualFold(string(m[1]), "utf-8") {
				t.Errorf("XML declaration still says encoding=%q", m[1])
			}
		})
	}
}

func TestDecodeUTF8Empty(t *testing.T) {
	if _, _, err := DecodeUTF8(nil, "text/xml"); err == nil || !strings.Contains(err.Error(), "empty body") {
		t.Fatalf("err = %v, want an empty body error", err)
	}
}

func TestDecodeUTF8InvalidBytesStayVisible(t *testing.T) {
	// A UTF-8 feed with one truncated character: still UTF-8, the bad byte
	// becomes U+FFFD rather than the whole feed turning into mojibake.
	body := []byte(rssDoc("utf-8", zhSimplified+"\xe4\xb8"+zhSimplified))
	text, charset, err := DecodeUTF8(body, "")
	if err != nil {
		t.Fatal(err)
	}
	if charset != "utf-8" {
		t.Errorf("charset = %q, want utf-8", charset)
	}
	if !bytes.Contains(text, []byte(zhSimplified+"\uFFFD"+zhSimplified)) {
		t.Errorf("text = %s", text)
	}
}

func TestFixProlog(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"double quotes", `<?xml version="1.0" encoding="gb2312"?><rss/>`, `<?xml version="1.0" encoding="UTF-8"?><rss/>`},
		{"single quotes and standalone", `<?xml version='1.0' encoding='big5' standalone='yes'?><rss/>`, `<?xml version='1.0' encoding="UTF-8" standalone='yes'?><rss/>`},
		{"leading blank line", "\n  <?xml version=\"1.0\" encoding=\"GBK\"?><rss/>", "\n  <?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"},
		{"no encoding", `<?xml version="1.0"?><rss/>`, `<?xml version="1.0"?><rss/>`},
		{"not a prolog", `<rss><title>encoding="gb2312"</title></rss>`, `<rss><title>encoding="gb2312"</title></rss>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(fixProlog([]byte(tt.in))); got != tt.want {
				t.Errorf("fixProlog(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLookupCharset(t *testing.T) {
	tests := []struct {
		label, want string
		ok          bool
	}{
		{"GB2312", "gb18030", true},
		{"x-gbk", "gb18030", true},
		{"'gb18030'", "gb18030", true},
		{"Big5-HKSCS", "big5", true},
		{"UTF8", "utf-8", true},
		{"shift_jis", "shift_jis", true},
		{"", "", false},
		{"no-such-charset", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			l, ok := lookupCharset(tt.label)
			if ok != tt.ok || l.name != tt.want {
				t.Errorf("lookupCharset(%q) = %q, %v; want %q, %v", tt.label, l.name, ok, tt.want, tt.ok)
			}
		})
	}
}

// The scoring that detection rests on: the right decoding of Chinese is
// full of common characters, the wrong one has almost none.
func TestCommonHanSeparatesRightFromWrongDecoding(t *testing.T) {
	big5Bytes := encode(t, traditionalchinese.Big5, zhTraditional)
	gbBytes := encode(t, simplifiedchinese.GB18030, zhSimplified)
	tests := []struct {
		name         string
		body         []byte
		right, wrong charsetLabel
	}{
		{"big5 text", big5Bytes, labelBig5, labelGB18030},
		{"gb18030 text", gbBytes, labelGB18030, labelBig5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			right, wrong := decodeAs(tt.body, tt.right), decodeAs(tt.body, tt.wrong)
			if right.common < 10 || wrong.score() >= right.score()/3 {
				t.Errorf("right %s: common %d score %d; wrong %s: common %d score %d (%s)",
					right.name, right.common, right.score(), wrong.name, wrong.common, wrong.score(), wrong.text)
			}
		})
	}
}

func BenchmarkDecodeUTF8(b *testing.B) {
	body, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Repeat(rssDoc("", zhSimplified), 2000)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, _, err := DecodeUTF8(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFixPrologKeepsUTF8 : a declaration that already says UTF-8 is left as
// it is, body and all (no copy); any other says UTF-8 after decoding.
func TestFixPrologKeepsUTF8(t *testing.T) {
	for _, decl := range []string{`encoding="UTF-8"`, `encoding = 'utf-8'`, `encoding="Utf-8"`} {
		in := []byte(`<?xml version="1.0" ` + decl + `?><rss/>`)
		if out := fixProlog(in); &out[0] != &in[0] || string(out) != string(in) {
			t.Errorf("%s: rewritten to %q", decl, out)
		}
	}
	if out := fixProlog([]byte(`<?xml version="1.0" encoding="gb2312"?><rss/>`)); string(out) != `<?xml version="1.0" encoding="UTF-8"?><rss/>` {
		t.Errorf("gb2312 declaration: %q", out)
	}
}
