package watcher

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// readFixture returns a file of testdata/.
func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertCleanText fails when s is not valid UTF-8 or holds U+FFFD.
func assertCleanText(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		t.Errorf("%s is not clean UTF-8: %q", what, s)
	}
}

// hanStats counts Han runes in s and how many of them are common.
func hanStats(s string) (han, common int) {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			han++
			if commonHan[r] {
				common++
			}
		}
	}
	return han, common
}

func TestParseFixtures(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		file, contentType string
		wantCharset       string
		wantTitle         string
		wantEntries       int
		first             Entry // Title, GUID, Link and Published are compared
		wantSummary       string
		wantID            string // prefix of the first entry's Identity
	}{
		{"rss2_utf8.xml", "application/rss+xml; charset=utf-8", "utf-8", "潍坊市市场监督管理局 - 通知公告", 3,
			Entry{Title: "潍坊市市场监管局发布2024年第3期食品安全监督抽检信息", GUID: "wfscjg-20240315-6312345",
				Link: "https://scjgj.weifang.example/tzgg/202403/t20240315_6312345.html?utm_source=rss&utm_medium=feed", Published: time.Date(2024, 3, 15, 9, 0, 0, 0, cst)},
			"近日，潍坊市市场监督管理局组织抽检食品326批次", "guid:wfscjg-"},
		{"rss2_gb18030.xml", "application/rss+xml", "gb18030", "淄博市市场监督管理局", 2,
			Entry{Title: "淄博市2024年第二季度产品质量监督抽查结果通告", GUID: "zibo-scjg-art-5678",
				Link: "http://scjgj.zibo.example/col/col1234/art/2024/art_5678.html", Published: time.Date(2024, 7, 1, 8, 30, 0, 0, cst)},
			"本次共抽查电线电缆", "guid:zibo-"},
		{"atom_big5.xml", "application/atom+xml", "big5", "經濟部標準檢驗局 - 新聞稿", 2,
			Entry{Title: "標準局公布市售電暖器商品市場購樣檢測結果", GUID: "tag:bsmi.example,2024:news/0118-heater",
				Link: "https://www.bsmi.example/news/2024/0118-heater.html", Published: time.Date(2024, 1, 18, 10, 0, 0, 0, cst)},
			"標準局今年度購買市售電暖器30件進行檢測", "guid:tag:bsmi"},
		{"rss1_rdf.xml", "application/rdf+xml", "utf-8", "青岛市市场监督管理局 - 工作动态", 2,
			Entry{Title: "青岛市开展2024年“5·20世界计量日”主题宣传活动",
				Link: "https://amr.qingdao.example/gzdt/2024/0520/jlqj.html", Published: time.Date(2024, 5, 20, 14, 0, 0, 0, cst)},
			"活动现场，计量技术机构", "link:https://amr.qingdao.example/"},
		{"feed.json", "application/feed+json", "utf-8", "烟台市市场监督管理局 - 召回信息", 2,
			Entry{Title: "烟台市发布2024年第一批缺陷消费品召回信息", GUID: "yantai-recall-2024-007",
				Link: "https://scjgj.yantai.example/zhxx/2024/04/recall-007.html", Published: time.Date(2024, 4, 22, 10, 0, 0, 0, cst)},
			"烟台某电器有限公司主动召回", "guid:yantai-"},
		{"rss2_mislabeled.xml", "application/rss+xml; charset=gb2312", "utf-8", "聊城市市场监督管理局 - 执法稽查", 2,
			Entry{Title: "聊城市市场监管局查处一批假冒伪劣商品案件", GUID: "liaocheng-zfjc-1001",
				Link: "http://scjgj.liaocheng.example/zfjc/2024/0612/1001.html", Published: time.Date(2024, 6, 12, 10, 0, 0, 0, cst)},
			"聊城市市场监管局开展打击假冒伪劣专项行动", "guid:liaocheng-"},
		{"rss2_undeclared_gbk.xml", "application/xml", "gb18030", "山东省市场监督管理局 - 质量监督", 2,
			Entry{Title: "山东省2024年第2期产品质量省级监督抽查情况通报", GUID: "sd-zljd-20240428",
				Link: "http://amr.shandong.example/zljd/2024/0428/ccqk.html", Published: time.Date(2024, 4, 28, 9, 0, 0, 0, cst)},
			"本期共抽查日用消费品", "guid:sd-"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFixture(t, tt.file)
			for _, ct := range []string{tt.contentType, ""} {
				f, err := Parse(body, ct)
				if err != nil {
					t.Fatalf("Parse(%q): %v", ct, err)
				}
				if f.Charset != tt.wantCharset || f.Title != tt.wantTitle || len(f.Entries) != tt.wantEntries {
					t.Fatalf("Parse(%q) = charset %q, title %q, %d entries; want %q, %q, %d",
						ct, f.Charset, f.Title, len(f.Entries), tt.wantCharset, tt.wantTitle, tt.wantEntries)
				}
				e := f.Entries[0]
				if e.Title != tt.first.Title || e.GUID != tt.first.GUID || e.Link != tt.first.Link || !e.Published.Equal(tt.first.Published) {
					t.Errorf("first entry = %+v\nwant %+v", e, tt.first)
				}
				if s := Summary(e, 200); !strings.HasPrefix(s, tt.wantSummary) {
					t.Errorf("summary = %q, want prefix %q", s, tt.wantSummary)
				}
				if id := Identity(e); !strings.HasPrefix(id, tt.wantID) {
					t.Errorf("identity = %q, want prefix %q", id, tt.wantID)
				}
				for _, e := range f.Entries {
					assertCleanText(t, "title", e.Title)
					assertCleanText(t, "summary", Summary(e, 0))
				}
			}
		})
	}
}

func TestParseGB18030BeyondGB2312(t *testing.T) {
	// The fixture says gb2312 but holds 喆 (GBK) and 䶮 (4-byte GB18030).
	f, err := Parse(readFixture(t, "rss2_gb18030.xml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if s := Summary(f.Entries[0], 0); !strings.Contains(s, "淄博喆丰电缆有限公司") || !strings.Contains(s, "王喆、李䶮") {
		t.Errorf("summary = %q", s)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"truncated feed", string(readFixture(t, "broken.xml")), []string{"parse feed", "not well-formed", "line 9"}},
		{"bad character reference", "<rss><channel><item><title>a &#2 b</title></item></channel></rss>", []string{"parse feed", "not well-formed", "&#2"}},
		{"mismatched tags", "<rss><channel><title>x</channel></rss>", []string{"parse feed", "not well-formed"}},
		{"html page", "<html><body><p>not a feed</p></body></html>", []string{"parse feed", "not an RSS, Atom or JSON feed"}},
		{"sloppy html page", "<!DOCTYPE html><html><head><meta charset=utf-8><title>502</title></head><body>网关错误<br></body></html>", []string{"parse feed", "not an RSS, Atom or JSON feed"}},
		{"plain text", "质量强市", []string{"parse feed", "not an RSS, Atom or JSON feed"}},
		{"empty", "", []string{"parse feed", "empty body"}},
		{"broken json", `{"version": "https://jsonfeed.org/version/1.1", "items": [`, []string{"parse feed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), "")
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	tests := []struct{ name, body, wantTitle string }{
		{"bare ampersand", "<rss><channel><item><title>R&D 质量 & 标准</title></item></channel></rss>", "R&D 质量 & 标准"},
		{"html entities", "<rss><channel><item><title>质量&nbsp;月&hellip;</title></item></channel></rss>", "质量 月…"},
		{"unknown entity", "<rss><channel><item><title>a &foo; b</title></item></channel></rss>", "a &foo; b"},
		{"leading blank lines", "\n\n  <?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss><channel><item><title>召回</title></item></channel></rss>", "召回"},
		{"html in atom title", `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;b&gt;抽检&lt;/b&gt; 结果</title></entry></feed>`, "抽检 结果"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Entries) != 1 || f.Entries[0].Title != tt.wantTitle {
				t.Errorf("entries = %+v, want one titled %q", f.Entries, tt.wantTitle)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "rss2_utf8.xml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDatesWithoutZoneAreLocal(t *testing.T) {
	feed := []byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>
<item><guid>a</guid><title>无时区</title><pubDate>2026-11-05 10:00:00</pubDate></item>
<item><guid>b</guid><title>有时区</title><pubDate>Thu, 05 Nov 2026 10:00:00 +0000</pubDate></item>
<item><guid>c</guid><title>Z</title><pubDate>2026-11-05T10:00:00Z</pubDate></item>
</channel></rss>`)
	f, err := Parse(feed, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2026, 11, 5, 2, 0, 0, 0, time.UTC), // 10:00 in China
		time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC),
	}
	for i, e := range f.Entries {
		if !e.Published.Equal(want[i]) {
			t.Errorf("%s: published %v, want %v", e.Title, e.Published.UTC(), want[i])
		}
	}
	f, err = ParseIn(feed, "", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Entries[0].Published; !got.Equal(time.Date(2026, 11, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseIn UTC: %v", got)
	}
}

// TestEndsWithZone compares endsWithZone with the regular expression it
// replaced, on every shape of date the parsers meet and on near misses.
func TestEndsWithZone(t *testing.T) {
	re := regexp.MustCompile(`(?i)(z|[+-]\d{2}:?\d{2}|\b(gmt|utc|ut|[a-z]{1,2}[sd]t|cst|hkt|jst|sgt)\b)\s*$`)
	dates := []string{
		"", " ", "Z", "2026-11-05T10:00:00Z", "2026-11-05T10:00:00z ", "2026-11-05T10:00:00+08:00", "2026-11-05T10:00:00-0500",
		"Mon, 02 Jan 2006 15:04:05 GMT", "Mon, 02 Jan 2006 15:04:05 gmt\t", "2006-01-02 15:04 UTC", "2006-01-02 15:04 UT",
		"2006-01-02 15:04 CST", "2006-01-02 15:04 EST", "2006-01-02 15:04 PDT", "2006-01-02 15:04 AEST", "2006-01-02 15:04 AEDT",
		"2006-01-02 15:04 HKT", "2006-01-02 15:04 JST", "2006-01-02 15:04 SGT", "2006-01-02 15:04 XYZST", "2006-01-02 15:04 ST",
		"2006-01-02 15:04:05", "2006-01-02", "2026年11月05日", "2026-11-05 10:00", "10:00 +8", "10:00 +080", "10:00 0800", "10:00 +08:0",
		"10:00 +08::00", "10:00 x+0800", "10:00 +0800x", "10:00GMT", "10:00_GMT", "10:00 AGMT", "10:00-GMT", "10:00 (CST)", "10:00 est.",
		"abcst", "a est", "Tue", "10:00 PM", "10:00 am", "2006-01-02 15:04:05.000", "+0800", "-08:00", "utc", "05 Nov 2026 10:00 +0000",
	}
	for _, d := range dates {
		if got, want := endsWithZone(d), re.MatchString(strings.TrimSpace(d)); got != want {
			t.Errorf("endsWithZone(%q) = %v, the expression says %v", d, got, want)
		}
	}
}
