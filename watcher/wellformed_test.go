package watcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wellFormedCases are documents the fast reader must accept (ok) or leave
// to the strict decoder (!ok); each is also checked against the decoder.
var wellFormedCases = []struct {
	name, doc string
	ok        bool
}{
	{"rss", `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>质量</title><item><title>a &amp; b &nbsp; R&D &#36136;&#x91CF;</title><description><![CDATA[<p>抽检</p>]]></description></item></channel></rss>`, true},
	{"comments, PIs and namespaces", "<?xml-stylesheet href='a.xsl'?><!-- 注释 - 内容 --><feed xmlns='http://www.w3.org/2005/Atom' xmlns:dc=\"x\"><dc:date>2026</dc:date><link href=\"a?x=1&y=2\"/><e a='1'b=\"2\" /></feed>\n", true},
	{"mismatched end tag", "<rss><channel></rss>", false},
	{"unclosed element", "<rss><channel>", false},
	{"no root", "  text only ", false},
	{"bad character reference", "<a>&#2 b</a>", false},
	{"empty character reference", "<a>&#;</a>", false},
	{"control character reference", "<a>&#1;</a>", false},
	{"control character", "<a>\x01</a>", false},
	{"U+FFFE", "<a>\uFFFE</a>", false},
	{"]]> in text", "<a>x]]>y</a>", false},
	{"]]> in an attribute", "<a b=\"]]>\"/>", false},
	{"< in an attribute", "<a b=\"<\"/>", false},
	{"unquoted attribute", "<a b=c/>", false},
	{"attribute without value", "<a b/>", false},
	{"double dash in a comment", "<a><!-- x -- y --></a>", false},
	{"doctype left to the decoder", "<!DOCTYPE rss><rss/>", false},
	{"XML version 1.1", `<?xml version="1.1"?><a/>`, false},
	{"two versions, the first 1.1", `<?xml version="1.1" version="1.0"?><a/>`, false},
	{"a version inside another name", `<?xml aversion="2.0" version="1.0"?><a/>`, false},
	{"a version inside another value", `<?xml encoding="version='2'" version="1.0"?><a/>`, false},
	{"non-ASCII name left to the decoder", "<标题>x</标题>", false},
	{"two colons", "<a:b:c/>", false},
	{"truncated tag", "<rss><channel", false},
	{"unterminated CDATA", "<a><![CDATA[x</a>", false},
	{"invalid UTF-8", "<a>\xff</a>", false},
}

func TestWellFormedFast(t *testing.T) {
	for _, tt := range wellFormedCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := wellFormedFast([]byte(tt.doc)); got != tt.ok {
				t.Errorf("wellFormedFast(%q) = %v, want %v", tt.doc, got, tt.ok)
			}
			if tt.ok {
				if err := checkWellFormedStrict([]byte(tt.doc)); err != nil {
					t.Errorf("the fast reader accepts %q, the decoder refuses it: %v", tt.doc, err)
				}
			}
		})
	}
}

// TestWellFormedFastOnFeeds: on every feed of testdata (and of ../shared
// when present), the fast reader and the strict decoder agree, and the
// fast reader accepts the common ones itself.
func TestWellFormedFastOnFeeds(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.xml")
	shared, _ := filepath.Glob("../../shared/data/feeds/*/*")
	files = append(files, shared...)
	fast := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text, _, err := DecodeUTF8(body, "")
		if err != nil {
			continue
		}
		text = []byte(strings.TrimLeft(string(text), " \t\r\n"))
		strict := checkWellFormedStrict(text)
		if wellFormedFast(text) {
			fast++
			if strict != nil {
				t.Errorf("%s: the fast reader accepts it, the decoder refuses it: %v", f, strict)
			}
		}
	}
	if fast == 0 {
		t.Fatal("the fast reader accepted no feed")
	}
	t.Logf("%d of %d feeds recognised by the fast reader", fast, len(files))
}

// FuzzWellFormedFast checks the fast reader's one promise: it never accepts
// a document the strict decoder refuses.
func FuzzWellFormedFast(f *testing.F) {
	for _, tt := range wellFormedCases {
		f.Add([]byte(tt.doc))
	}
	for _, name := range []string{"rss1_rdf.xml", "atom_big5.xml", "broken.xml"} {
		body, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		text, _, err := DecodeUTF8(body, "")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if wellFormedFast(doc) {
			if err := checkWellFormedStrict(doc); err != nil {
				t.Fatalf("the fast reader accepts %q, the decoder refuses it: %v", doc, err)
			}
		}
	})
}
