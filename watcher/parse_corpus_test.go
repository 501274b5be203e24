package watcher

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The shared corpus: 55 real feeds in their original bytes (GB2312 and Big5
// blogs from about 2005, modern UTF-8 Chinese feeds, feedparser's charset
// edge cases). It is third-party data, read in place and never copied here.

// brokenFeed is the one corpus file that is not well-formed XML.
const brokenFeed = "chardet+chardet/tests__Big5__coolloud.org.tw.xml"

// corpusEntry is a line of feeds_index.json.
type corpusEntry struct {
	File      string `json:"file"`
	Items     int    `json:"items"`
	Declared  string `json:"declared"`
	DecodedAs string `json:"decoded_as"`
	Status    string `json:"status"`
}

// corpusDir finds ../shared/data/feeds (or $QUALITYWATCH_SHARED/data/feeds)
// and skips the test when it is absent.
func corpusDir(t *testing.T) string {
	t.Helper()
	dirs := []string{filepath.Join("..", "..", "shared", "data", "feeds")}
	if env := os.Getenv("QUALITYWATCH_SHARED"); env != "" {
		dirs = []string{filepath.Join(env, "data", "feeds"), filepath.Join(env, "feeds"), env}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "feeds_index.json")); err == nil {
			return d
		}
	}
	t.Skipf("shared feed corpus not found (looked in %v); set QUALITYWATCH_SHARED to the shared folder", dirs)
	return ""
}

func loadCorpusIndex(t *testing.T, dir string) map[string]corpusEntry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "feeds_index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []corpusEntry
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatalf("feeds_index.json: %v", err)
	}
	index := make(map[string]corpusEntry, len(list))
	for _, e := range list {
		index[e.File] = e
	}
	return index
}

var (
	// feedparser's test files describe the HTTP response they stand for in
	// a comment: "Header: Content-type: ..." and "Expect: ... encoding == 'x'".
	commentHeaderRe   = regexp.MustCompile(`(?m)^Header:\s*Content-type:\s*(.+?)\s*$`)
	commentEncodingRe = regexp.MustCompile(`encoding == '([^']+)'`)
	emptyTitleRe      = regexp.MustCompile(`<title[^>]*>\s*</title>|<title\s*/>`)
)

// normCharset maps a charset name to what DecodeUTF8 reports for it.
func normCharset(name string) string {
	l, ok := lookupCharset(name)
	if !ok {
		return strings.ToLower(name)
	}
	return l.name
}

func TestCorpusFeeds(t *testing.T) {
	dir := corpusDir(t)
	index := loadCorpusIndex(t, dir)
	files, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d feed files in %s, want the whole corpus", len(files), dir)
	}
	var parsed, entries, broken int
	for _, path := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(path, dir+string(filepath.Separator)))
		t.Run(rel, func(t *testing.T) {
			ie, ok := index[rel]
			if !ok {
				t.Fatalf("%s is not in feeds_index.json", rel)
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			contentType := ""
			if m := commentHeaderRe.FindSubmatch(body); m != nil {
				contentType = string(m[1])
			}
			f, err := Parse(body, contentType)
			if rel == brokenFeed {
				broken++
				if err == nil || !strings.Contains(err.Error(), "not well-formed XML") || !strings.Contains(err.Error(), "line 105") {
					t.Fatalf("Parse(%s) = %v, want a not well-formed error at line 105", rel, err)
				}
				t.Logf("%s: %v", rel, err)
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s): %v", rel, err)
			}
			parsed++
			entries += len(f.Entries)
			want := normCharset(ie.DecodedAs)
			if m := commentEncodingRe.FindSubmatch(body); m != nil {
				want = normCharset(string(m[1]))
			}
			if f.Charset != want {
				t.Errorf("charset = %q, want %q", f.Charset, want)
			}
			assertCorpusFeed(t, f, ie, body)
			assertSameUnderOtherLabels(t, f, body, contentType)
		})
	}
	if broken != 1 {
		t.Errorf("the broken feed %s was not in the corpus", brokenFeed)
	}
	t.Logf("corpus: %d files, %d parsed with %d entries, %d broken as expected", len(files), parsed, entries, broken)
}

// assertCorpusFeed checks a parsed corpus feed against its index line.
func assertCorpusFeed(t *testing.T, f Feed, ie corpusEntry, body []byte) {
	t.Helper()
	if len(f.Entries) != ie.Items {
		t.Errorf("%d entries, want %d", len(f.Entries), ie.Items)
	}
	decoded, _, err := DecodeUTF8(body, "")
	if err != nil {
		t.Fatal(err)
	}
	sourceHasEmptyTitle := emptyTitleRe.Match(decoded)
	// Entries keep distinct identities, unless the feed itself repeats a
	// guid or, without guids, a link.
	ids := make(map[string]Entry, len(f.Entries))
	for i, e := range f.Entries {
		id := Identity(e)
		if prev, dup := ids[id]; dup && (prev.GUID != e.GUID || prev.Link != e.Link) {
			t.Errorf("entry %d: identity %q also given to an entry with guid %q, link %q", i, id, prev.GUID, prev.Link)
		}
		ids[id] = e
	}
	assertCleanText(t, "feed title", f.Title)
	han, common := hanStats(f.Title)
	for i, e := range f.Entries {
		assertCleanText(t, "title", e.Title)
		assertCleanText(t, "summary", Summary(e, 0))
		if e.Title == "" && !sourceHasEmptyTitle {
			t.Errorf("entry %d has no title", i)
		}
		if e.Title == "" && e.Link == "" && Summary(e, 0) == "" {
			t.Errorf("entry %d is empty", i)
		}
		h, c := hanStats(e.Title)
		han, common = han+h, common+c
	}
	// Chinese decoded right is mostly common characters; a wrong decoding
	// (Big5 read as GB18030, or the reverse) gives almost none. Titles with
	// too few Han characters to judge are judged with the summaries.
	what := "titles"
	if han < 20 {
		what = "titles and summaries"
		for _, e := range f.Entries {
			h, c := hanStats(Summary(e, 0))
			han, common = han+h, common+c
		}
	}
	if han >= 20 && 2*common <= han {
		t.Errorf("only %d of %d Han characters in %s are common ones: wrong decoding?", common, han, what)
	}
}

// assertSameUnderOtherLabels parses a non-UTF-8 feed again with its label
// repeated in the header, with no label at all, and with a wrong header
// label, and expects the same result each time.
func assertSameUnderOtherLabels(t *testing.T, want Feed, body []byte, contentType string) {
	t.Helper()
	if want.Charset == "utf-8" || !hasNonASCII(body) {
		return
	}
	unlabelled := prologEncRe.ReplaceAll(body, []byte("$1"))
	variants := []struct {
		name, contentType string
		body              []byte
	}{
		{"label in header and prolog", "application/xml; charset=" + want.Charset, body},
		{"no label anywhere", "", unlabelled},
		{"header wrongly says utf-8", "text/xml; charset=utf-8", body},
		{"header wrongly says utf-8, no prolog label", "text/xml; charset=utf-8", unlabelled},
	}
	for _, v := range variants {
		got, err := Parse(v.body, v.contentType)
		if err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if got.Charset != want.Charset || got.Title != want.Title ||
			!slices.EqualFunc(got.Entries, want.Entries, func(a, b Entry) bool { return a.Title == b.Title && a.Summary == b.Summary }) {
			t.Errorf("%s: charset %q, title %q; want %q, %q and the same entries", v.name, got.Charset, got.Title, want.Charset, want.Title)
		}
	}
}

func TestCorpusSpotChecks(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file, contentType, charset string
		entry                      int // -1: the feed title
		title                      string
	}{
		{"aadsm+jschardet/tests__fixtures__gb2312-baidu-rss.xml.txt", "", "gb18030", 1, "孙金栋：明代排水设施，使地上地下皆“首堵”"},
		{"rbren+rss-parser/test__input__encoding-gb2312.xml", "", "gb18030", 0, "习近平为何如此强调崇尚英雄？"},
		{"chardet+chardet/tests__GB2312__luciferwang.blogcn.com.xml", "", "gb18030", 0, "奥登说的大实话"},
		{"chardet+chardet/tests__GB2312__lily.blogsome.com.xml", "", "gb18030", -1, "午后红茶"},
		{"kurtmckee+feedparser/tests__illformed__chardet__gb2312.xml", "", "gb18030", 0, "不归移民漫画系列：专业工作"},
		{"chardet+chardet/tests__Big5__sinica.edu.tw.xml", "", "big5", -1, "「隨機部落格」之「線上演算法」"},
		{"chardet+chardet/tests__Big5__letterlego.blogspot.com.xml", "", "big5", 0, "【轉載】紐約公共圖書館『世紀之書』（下）"},
		{"chardet+chardet/tests__Big5__upsaid.com.xml", "", "big5", 0, "。反WTO．人民有抗暴權！公民聲援反世貿連署行動"},
		{"kurtmckee+feedparser/tests__illformed__chardet__big5.xml", "", "big5", -1, "我希望??很容易?其翻?成中文，并有助于改??件。 感?您??本文。"},
		{"Richasy+Rodel.Reader/src__Utilities__FeedParser.Test__TestData__Rss__meituan.xml", "", "utf-8", 0, "美团 LongCat Interaction 团队发布大模型交互系统技术报告 WOWService"},
		{"Richasy+Rodel.Reader/src__Utilities__FeedParser.Test__TestData__Atom__ruanyifeng.xml", "", "utf-8", -1, "阮一峰的网络日志"},
		{"kurtmckee+feedparser/tests__encoding__http_application_atom_xml_gb2312_charset.xml", "application/atom+xml;charset='gb2312'", "gb18030", -1, ""},
		{"kurtmckee+feedparser/tests__encoding__http_application_atom_xml_gb2312_charset_overrides_encoding.xml", "application/atom+xml; charset='gb2312'", "gb18030", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(body, tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			got := f.Title
			if tt.entry >= 0 {
				if tt.entry >= len(f.Entries) {
					t.Fatalf("%d entries, want entry %d", len(f.Entries), tt.entry)
				}
				got = f.Entries[tt.entry].Title
			}
			if f.Charset != tt.charset || got != tt.title {
				t.Errorf("charset %q, title %q; want %q, %q", f.Charset, got, tt.charset, tt.title)
			}
		})
	}
}
