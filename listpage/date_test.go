package listpage_test

import (
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/listpage"
)

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

// testNow is the fixed "now" of the date tests: 2026-12-15 12:00 in Shanghai.
var testNow = time.Date(2026, 12, 15, 4, 0, 0, 0, time.UTC)

// formatResult renders a ParseDate or DateFromURL result for comparison:
// RFC 3339 with the zone the result carries, or "" when there is no date.
func formatResult(t time.Time, ok bool) string {
	if !ok {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func TestParseDate(t *testing.T) {
	loc := shanghai(t)
	tests := []struct {
		name string
		in   string
		now  time.Time // zero: testNow
		want string    // RFC 3339; "" for no date
	}{
		// Forms with a year.
		{name: "dashes", in: "2026-11-30", want: "2026-11-30T00:00:00+08:00"},
		{name: "square brackets", in: "[2026-11-30]", want: "2026-11-30T00:00:00+08:00"},
		{name: "parentheses", in: "(2026-11-30)", want: "2026-11-30T00:00:00+08:00"},
		{name: "full-width brackets", in: "（2026-11-30）", want: "2026-11-30T00:00:00+08:00"},
		{name: "slashes", in: "2026/11/30", want: "2026-11-30T00:00:00+08:00"},
		{name: "dots", in: "2026.11.30", want: "2026-11-30T00:00:00+08:00"},
		{name: "chinese", in: "2026年11月30日", want: "2026-11-30T00:00:00+08:00"},
		{name: "chinese with spaces", in: "2026 年 1 月 5 日", want: "2026-01-05T00:00:00+08:00"},
		{name: "chinese with time", in: "2026年11月30日 10:20", want: "2026-11-30T10:20:00+08:00"},
		{name: "chinese time glued to 日", in: "2026年11月30日10:20", want: "2026-11-30T10:20:00+08:00"},
		{name: "chinese clock", in: "2026年11月30日 10时20分", want: "2026-11-30T10:20:00+08:00"},
		{name: "dashes with minutes", in: "2026-11-30 10:20", want: "2026-11-30T10:20:00+08:00"},
		{name: "dashes with seconds", in: "2026-11-30 10:20:46", want: "2026-11-30T10:20:46+08:00"},
		{name: "label before", in: "发布时间：2020-04-21 09:52:46", want: "2020-04-21T09:52:46+08:00"},
		{name: "unpadded", in: "2026-1-5", want: "2026-01-05T00:00:00+08:00"},
		{name: "full-width digits", in: "２０２６-１１-３０", want: "2026-11-30T00:00:00+08:00"},
		{name: "full-width digits and colon", in: "２０２６－１１－３０　１０：２０", want: "2026-11-30T10:20:00+08:00"},
		{name: "leap day", in: "2024-02-29", want: "2024-02-29T00:00:00+08:00"},

		// Month only: the 1st.
		{name: "month only", in: "2026-11", want: "2026-11-01T00:00:00+08:00"},
		{name: "month only chinese", in: "2026年11月", want: "2026-11-01T00:00:00+08:00"},
		{name: "month only dots is a number", in: "2026.11", want: ""},
		{name: "year only", in: "2026年", want: ""},

		// No year: the latest such day not after now's day.
		{name: "no year", in: "11-30", want: "2026-11-30T00:00:00+08:00"},
		{name: "no year chinese", in: "11月30日", want: "2026-11-30T00:00:00+08:00"},
		{name: "no year with time", in: "11-30 10:20", want: "2026-11-30T10:20:00+08:00"},
		{name: "no year today", in: "12-15", want: "2026-12-15T00:00:00+08:00"},
		{name: "no year tomorrow is last year", in: "12-16", want: "2025-12-16T00:00:00+08:00"},
		{name: "no year across new year", in: "12-30", now: time.Date(2027, 1, 2, 1, 0, 0, 0, time.UTC), want: "2026-12-30T00:00:00+08:00"},
		{
			name: "no year new year in loc not utc", in: "01-02",
			now:  time.Date(2027, 1, 1, 17, 0, 0, 0, time.UTC), // 2027-01-02 01:00 in Shanghai
			want: "2027-01-02T00:00:00+08:00",
		},
		{name: "no year leap day", in: "02-29", now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), want: "2024-02-29T00:00:00+08:00"},
		{name: "no year unpadded range is not a date", in: "第1-5批", want: ""},
		{name: "no year impossible", in: "02-30", want: ""},

		// Unix times.
		{name: "epoch milliseconds", in: "1796005200000", want: "2026-11-30T10:20:00+08:00"},
		{name: "epoch seconds", in: " 1796005200 ", want: "2026-11-30T10:20:00+08:00"},
		{name: "epoch out of range", in: "0000000001", want: ""},
		{name: "epoch only alone", in: "id 1796005200", want: ""},

		// ISO 8601 and RFC 3339.
		{name: "rfc3339 offset", in: "2026-11-30T10:20:00+08:00", want: "2026-11-30T10:20:00+08:00"},
		{name: "rfc3339 utc", in: "2026-11-30T02:20:00Z", want: "2026-11-30T02:20:00Z"},
		{name: "rfc3339 other offset", in: "2026-11-30T10:20:00-05:00", want: "2026-11-30T10:20:00-05:00"},
		{name: "rfc3339 fraction", in: "2026-11-30T10:20:00.25+08:00", want: "2026-11-30T10:20:00.25+08:00"},
		{name: "iso without zone", in: "2026-11-30T10:20:00", want: "2026-11-30T10:20:00+08:00"},
		{name: "iso minutes", in: "2026-11-30T10:20", want: "2026-11-30T10:20:00+08:00"},
		{name: "offset after seconds", in: "2026-11-30 10:20:00+0000", want: "2026-11-30T10:20:00Z"},
		{name: "time range is not a zone", in: "2026-11-30 09:00-11:00", want: "2026-11-30T09:00:00+08:00"},

		// Not dates.
		{name: "impossible day", in: "2026-02-30", want: ""},
		{name: "not a leap year", in: "2100-02-29", want: ""},
		{name: "month 13", in: "2026-13-01", want: ""},
		{name: "hour 25", in: "2026-11-30 25:00", want: ""},
		{name: "minute 60", in: "2026-11-30 10:60", want: ""},
		{name: "impossible offset", in: "2026-11-30T10:20:00+25:00", want: ""},
		{name: "year too early", in: "1989-12-31", want: ""},
		{name: "year too late", in: "2101-01-01", want: ""},
		{name: "no date", in: "浏览次数：12", want: ""},
		{name: "empty", in: "", want: ""},
		{name: "standard number", in: "GB 2763-2021", want: ""},
		{name: "phone number", in: "电话：0536-8190000", want: ""},
		{name: "five-digit year", in: "12026-11-30", want: ""},
		{name: "two-digit year", in: "26-11-30", want: ""},
		{name: "day with three digits", in: "2026-11-300", want: ""},

		// Dates in text.
		{name: "in a longer text", in: "来源：市局 发布日期：2026年11月30日 浏览次数：12", want: "2026-11-30T00:00:00+08:00"},
		{name: "first wins", in: "2026-11-30 更新于 2026-12-01", want: "2026-11-30T00:00:00+08:00"},
		{name: "impossible date skipped", in: "2026-02-30 更正为 2026-03-01", want: "2026-03-01T00:00:00+08:00"},
		{name: "future is kept", in: "2030-01-01", want: "2030-01-01T00:00:00+08:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = testNow
			}
			got := formatResult(listpage.ParseDate(tt.in, loc, now))
			if got != tt.want {
				t.Errorf("ParseDate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateNaiveTimeIsLoc(t *testing.T) {
	got, ok := listpage.ParseDate("2026-11-30 10:20", shanghai(t), testNow)
	if want := time.Date(2026, 11, 30, 2, 20, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("ParseDate = %v, %v; want %v", got, ok, want)
	}
}

func TestParseDateNilLocIsUTC(t *testing.T) {
	got, ok := listpage.ParseDate("2026-11-30", nil, testNow)
	if want := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC); !ok || !got.Equal(want) {
		t.Errorf("ParseDate = %v, %v; want %v", got, ok, want)
	}
}

func TestDateFromURL(t *testing.T) {
	loc := shanghai(t)
	tests := []struct {
		name string
		link string
		want string // RFC 3339; "" for no date
	}{
		{name: "trs", link: "http://x/gszbm/auto23716/202008/t20200805_1353179.html", want: "2020-08-05T00:00:00+08:00"},
		{name: "trs relative", link: "./202611/t20261130_123.html", want: "2026-11-30T00:00:00+08:00"},
		{name: "trs shtml", link: "/xw/202611/t20261130_123_wap.shtml", want: "2026-11-30T00:00:00+08:00"},
		{name: "trs month folder only", link: "http://x/zwgk/202611/index.html", want: ""},
		{name: "hanweb", link: "https://amr.shandong.gov.cn/art/2020/3/17/art_122606_8931632.html", want: "2020-03-17T00:00:00+08:00"},
		{name: "hanweb padded", link: "/art/2026/11/30/art_1_2.html", want: "2026-11-30T00:00:00+08:00"},
		{name: "hanweb year only", link: "http://x/art/2026/art_0f3a9c.html", want: ""},
		{name: "hanweb impossible day", link: "/art/2026/2/30/art_1_2.html", want: ""},
		{name: "dashes folder", link: "https://x.gov.cn/news/2026-11-30/123.html", want: "2026-11-30T00:00:00+08:00"},
		{name: "compact folder", link: "https://x.gov.cn/news/20261130/123.html", want: "2026-11-30T00:00:00+08:00"},
		{name: "compact id is not a date", link: "https://x.gov.cn/news/20261399/123.html", want: ""},
		{name: "date in query ignored", link: "https://x.gov.cn/list.html?d=/2026-11-30/", want: ""},
		{name: "no date", link: "https://www.samr.gov.cn/xw/zj/index.html", want: ""},
		{name: "empty", link: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := formatResult(listpage.DateFromURL(tt.link, loc))
			if got != tt.want {
				t.Errorf("DateFromURL(%q) = %q, want %q", tt.link, got, tt.want)
			}
		})
	}
}

func TestTrimDate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"glued to the end", "关于开展食品安全抽检的公告2026-09-11", "关于开展食品安全抽检的公告"},
		{"bracketed at the start", "[2026-11-30] 标题", "标题"},
		{"bracketed at the start, glued", "【2026-11-30】标题", "标题"},
		{"plain at the start", "2026-11-30 标题", "标题"},
		{"parentheses at the end", "标题 (2026-11-30)", "标题"},
		{"full-width brackets at the end", "标题（2026年11月30日）", "标题"},
		{"with time at the end", "标题 2026-11-30 10:20", "标题"},
		{"after a separator", "标题 - 2026/11/30", "标题"},
		{"no year after a space", "标题 11-30", "标题"},
		{"no year glued is kept", "第11-12", "第11-12"},
		{"month only is the subject", "食品抽检信息（2026年11月）", "食品抽检信息（2026年11月）"},
		{"leading date in a sentence", "2026年11月30日起施行的规定", "2026年11月30日起施行的规定"},
		{"date inside", "关于2026-11-30停电的通知", "关于2026-11-30停电的通知"},
		{"standard number", "GB 2763-2021", "GB 2763-2021"},
		{"only a date", "2026-11-30", "2026-11-30"},
		{"no date", "标题", "标题"},
		{"both ends", "[2026-11-30] 标题 2026-11-30", "标题"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listpage.TrimDate(tt.in); got != tt.want {
				t.Errorf("TrimDate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// parseDateSeeds are also committed under testdata/fuzz/FuzzParseDate.
var parseDateSeeds = []struct {
	s   string
	now int64
}{
	{"2026-11-30", 1797307200},
	{"[2026-11-30]", 1797307200},
	{"（2026年11月30日）", 1797307200},
	{"发布时间：2020-04-21 09:52:46", 1797307200},
	{"２０２６－１１－３０　１０：２０", 1797307200},
	{"2026-11-30T10:20:00.123456789+08:00", 1797307200},
	{"2026-11-30 10:20:00-0530", 1797307200},
	{"12-30", 1798819200},
	{"02-29", 1803859200},
	{"11月30日 10时20分", 1797307200},
	{"1796005200000", 0},
	{"1796005200", 0},
	{"2026-02-30 更正为 2026-03-01", 1797307200},
	{"来源：市局 发布日期：2026年11月30日 浏览次数：12", 1797307200},
	{"2026-11-30 09:00-11:00", 1797307200},
	{"12-31", -62135596800},
	{"01-01", 9223372036854775807},
}

func FuzzParseDate(f *testing.F) {
	loc := shanghai(f)
	for _, s := range parseDateSeeds {
		f.Add(s.s, s.now)
	}
	f.Fuzz(func(t *testing.T, s string, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		got, ok := listpage.ParseDate(s, loc, now)
		again, ok2 := listpage.ParseDate(s, loc, now)
		if ok != ok2 || !got.Equal(again) || got.Location().String() != again.Location().String() {
			t.Fatalf("not deterministic: %v, %v then %v, %v", got, ok, again, ok2)
		}
		if !ok {
			if !got.IsZero() {
				t.Fatalf("no date but %v", got)
			}
			return
		}
		if y := got.Year(); y < 1990 || y > 2100 {
			t.Fatalf("ParseDate(%q) = %v: year out of range", s, got)
		}
		// What ParseDate returns it reads back unchanged.
		text := got.Format(time.RFC3339Nano)
		if back, ok := listpage.ParseDate(text, loc, now); !ok || !back.Equal(got) {
			t.Fatalf("ParseDate(%q) = %v, but ParseDate(%q) = %v, %v", s, got, text, back, ok)
		}
	})
}

// dateFromURLSeeds are also committed under testdata/fuzz/FuzzDateFromURL.
var dateFromURLSeeds = []string{
	"http://x/gszbm/auto23716/202008/t20200805_1353179.html",
	"https://amr.shandong.gov.cn/art/2020/3/17/art_122606_8931632.html",
	"http://x/art/2026/art_0f3a9c.html",
	"./202611/t20261130_123.html",
	"/xw/202611/t20261130_123_wap.shtml",
	"https://x.gov.cn/news/2026-11-30/123.html",
	"https://x.gov.cn/news/20261130/123.html",
	"https://x.gov.cn/list.html?d=/2026-11-30/#/20261130",
	"/art/2026/2/30/art_1_2.html",
	"http://[::1]:80/%zz/t20261130_1.html",
	"t21010101_1",
	"",
}

func FuzzDateFromURL(f *testing.F) {
	loc := shanghai(f)
	for _, s := range dateFromURLSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, link string) {
		got, ok := listpage.DateFromURL(link, loc)
		again, ok2 := listpage.DateFromURL(link, loc)
		if ok != ok2 || !got.Equal(again) {
			t.Fatalf("not deterministic: %v, %v then %v, %v", got, ok, again, ok2)
		}
		if !ok {
			return
		}
		if y := got.Year(); y < 1990 || y > 2100 {
			t.Fatalf("DateFromURL(%q) = %v: year out of range", link, got)
		}
		if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Nanosecond() != 0 || got.Location() != loc {
			t.Fatalf("DateFromURL(%q) = %v: not midnight in %v", link, got, loc)
		}
	})
}
