package listpage

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DateFromURL finds a publication date in a link's path: TRS
// "/202611/t20261130_123.html" (t20261130 gives the day; a bare /202611/
// only with the t-part), Hanweb "/art/2026/11/30/art_1_2.html" (month and
// day unpadded), "/2026-11-30/", "/20261130/". Year only
// ("/art/2026/art_<hex>.html") is not a date. Returns midnight in loc.
//
// A URL date can be days off the date the list shows: use it only when the
// list has none.
func DateFromURL(link string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	path := link
	if u, err := url.Parse(link); err == nil {
		path = u.Path
	} else if i := strings.IndexAny(link, "?#"); i >= 0 {
		path = link[:i]
	}
	for _, re := range urlDateREs {
		m := re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if validDate(y, mo, d) {
			return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc), true
		}
	}
	return time.Time{}, false
}

// urlDateREs are the URL date forms, most specific first. Each captures
// year, month and day.
var urlDateREs = []*regexp.Regexp{
	regexp.MustCompile(`(?:^|/)t(\d{4})(\d{2})(\d{2})_\d`),          // TRS
	regexp.MustCompile(`/art/(\d{4})/(\d{1,2})/(\d{1,2})/`),         // Hanweb
	regexp.MustCompile(`(?:^|/)(\d{4})-(\d{1,2})-(\d{1,2})(?:/|$)`), // /2026-11-30/
	regexp.MustCompile(`(?:^|/)(\d{4})(\d{2})(\d{2})(?:/|$)`),       // /20261130/
}

// TrimDate removes a date glued to the end (or start) of a title, e.g.
// "关于…的公告2026-09-11" -> "关于…的公告", "[2026-11-30] 标题" -> "标题";
// returns the title unchanged when there is none.
//
// Only a whole day is removed, with its time and brackets: "（2026年11月）"
// is usually what the title is about. A date without a year is removed only
// when bracketed or set apart by a space, and a leading date only when a
// space or separator follows it ("2026年11月30日起施行…" is a sentence).
// A title that is nothing but a date is returned unchanged.
func TrimDate(title string) string {
	var first, last dateToken
	n := 0
	for d := range scanDates(title) {
		if n == 0 {
			first = d
		}
		last = d
		n++
	}
	if n == 0 {
		return title
	}
	out := title
	if start, ok := trailingDate(title, last); ok {
		out = strings.TrimRightFunc(title[:start], isTitleSep)
	}
	if end, ok := leadingDate(out, first); ok {
		out = strings.TrimLeftFunc(out[end:], isTitleSep)
	}
	if strings.TrimSpace(out) == "" {
		return title
	}
	return out
}

// trailingDate reports whether d ends title, allowing for brackets and
// spaces, and where the text to remove starts.
func trailingDate(title string, d dateToken) (int, bool) {
	if d.day == 0 {
		return 0, false
	}
	start, end := d.start, d.end
	open, ow := lastRune(title[:start])
	closer, ok := bracketPairs[open]
	if ok && strings.HasPrefix(title[end:], closer) {
		start -= ow
		end += len(closer)
	} else if d.year == 0 {
		if r, _ := lastRune(title[:start]); !isTitleSep(r) {
			return 0, false
		}
	}
	if strings.TrimSpace(title[end:]) != "" {
		return 0, false
	}
	return start, true
}

// leadingDate reports whether d (the first date found in the untrimmed
// title) starts title, allowing for brackets and spaces, and where the text
// after it starts.
func leadingDate(title string, d dateToken) (int, bool) {
	if d.day == 0 || d.end > len(title) {
		return 0, false
	}
	lead := strings.TrimLeftFunc(title[:d.start], isTitleSep)
	if lead != "" {
		closer, ok := bracketPairs[firstRune(lead)]
		if !ok || len(firstRuneString(lead)) != len(lead) || !strings.HasPrefix(title[d.end:], closer) {
			return 0, false
		}
		return d.end + len(closer), true
	}
	if r, _ := utf8.DecodeRuneInString(title[d.end:]); !isTitleSep(r) {
		return 0, false
	}
	return d.end, true
}

// bracketPairs maps the brackets put around dates in titles to their closers.
var bracketPairs = map[rune]string{'[': "]", '(': ")", '（': "）", '【': "】", '〔': "〕", '「': "」"}

// isTitleSep reports whether r sets a date apart from a title.
func isTitleSep(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\u00a0', '\u3000', '|', '｜', '丨', '-', '－', '–', '—', '·', ':', '：', '/':
		return true
	}
	return false
}

func lastRune(s string) (rune, int) { return utf8.DecodeLastRuneInString(s) }

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func firstRuneString(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
