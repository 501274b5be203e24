package listpage

import (
	"iter"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Dates outside these years are taken for something else: an ID, a price,
// a standard's number.
const (
	minDateYear = 1990
	maxDateYear = 2100
)

// ParseDate finds the date in s as Chinese government list pages and article
// pages write it, and reports whether there was one. The first date in s
// wins; a date that does not exist (2026-02-30, 25:00) is skipped.
//
// The forms read are 2026-11-30, 2026/11/30 and 2026.11.30 (month and day
// may be unpadded), 2026年11月30日, each optionally followed by a time
// (10:20, 10:20:46, 10时20分); ISO 8601 with a T; 2026-11 and 2026年11月
// (the 1st of that month); 11-30 and 11月30日 without a year; and a bare
// 13-digit (milliseconds) or 10-digit (seconds) Unix time. Full-width digits
// and punctuation count as ASCII, and any text around the date (a label,
// brackets) is ignored.
//
// A time without a zone is in loc, and a date without a time is midnight in
// loc: the day is kept, no time is invented. A zone (Z, +08:00, +0800) is
// honoured after an ISO "T" or a time with seconds; after a bare HH:MM a
// sign starts a range ("09:00-11:00"), not a zone. A date without a year is
// the latest such day not after now's day in loc, so on 2 January "12-30" is
// last year's. Only years 1990 to 2100 are dates. ParseDate does not reject
// future dates: that is the caller's judgement. A nil loc means UTC.
func ParseDate(s string, loc *time.Location, now time.Time) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if t, ok := parseEpoch(s, loc); ok {
		return t, true
	}
	for d := range scanDates(s) {
		if t, ok := d.resolve(loc, now); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

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

// parseEpoch reads s, trimmed, as a 13-digit Unix time in milliseconds or a
// 10-digit one in seconds.
func parseEpoch(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 10 && len(s) != 13 {
		return time.Time{}, false
	}
	var n int64
	for i := range len(s) {
		if !isASCIIDigit(s[i]) {
			return time.Time{}, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	t := time.Unix(n, 0)
	if len(s) == 13 {
		t = time.UnixMilli(n)
	}
	t = t.In(loc)
	if t.Year() < minDateYear || t.Year() > maxDateYear {
		return time.Time{}, false
	}
	return t, true
}

// dateToken is a date found in text, checked to exist (but for the year of
// a yearless one), with its byte span.
type dateToken struct {
	start, end       int
	year, month, day int // year 0: not given; day 0: month only
	clock            clock
}

// clock is a time of day, with its zone when given.
type clock struct {
	hour, min, sec   int
	nsec             int
	zoned            bool
	offset           int // seconds east of UTC, when zoned
	hasSec, isoTForm bool
}

// resolve turns d into a time: the zone is d's own or loc, and a missing
// year is inferred from now.
func (d dateToken) resolve(loc *time.Location, now time.Time) (time.Time, bool) {
	y := d.year
	if y == 0 {
		ny, nm, nd := now.In(loc).Date()
		y = ny
		if d.month > int(nm) || d.month == int(nm) && d.day > nd {
			y--
		}
		// Only 29 February can be missing: go back to a leap year.
		for i := 0; i < 8 && !validDate(y, d.month, d.day); i++ {
			y--
		}
	}
	day := max(d.day, 1)
	if !validDate(y, d.month, day) {
		return time.Time{}, false
	}
	c := d.clock
	if c.zoned {
		loc = time.FixedZone("", c.offset)
	}
	return time.Date(y, time.Month(d.month), day, c.hour, c.min, c.sec, c.nsec, loc), true
}

// validDate reports whether y-m-d exists and y is in the accepted range.
func validDate(y, m, d int) bool {
	return y >= minDateYear && y <= maxDateYear && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// daysIn returns the length of month m; year 0 means any year (29 for
// February).
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y == 0 || y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// scanDates yields the dates in s in order. A run of digits that has the
// shape of a date but is not one (2026-02-30, 2026-11-30 25:00) is skipped
// as a whole, so that no part of it is read as another date.
func scanDates(s string) iter.Seq[dateToken] {
	return func(yield func(dateToken) bool) {
		for i := 0; i < len(s); {
			c, w := foldAt(s, i)
			if !isASCIIDigit(c) {
				i += w
				continue
			}
			d, end, ok := dateAt(s, i)
			if ok && !yield(d) {
				return
			}
			i = end
		}
	}
}

// dateAt reads the date starting with the digit run at i. It returns the
// end of what was consumed: the date, the invalid date-shaped text, or just
// the digit run.
func dateAt(s string, i int) (dateToken, int, bool) {
	v, n, j := number(s, i)
	// Digits after "12-", "3." or "10:" continue a number that did not
	// start a date there (a phone number, a range, a time).
	if p, pw := foldBefore(s, i); strings.IndexByte("-/.:", p) >= 0 {
		if q, _ := foldBefore(s, i-pw); isASCIIDigit(q) {
			return dateToken{}, j, false
		}
	}
	switch {
	case n == 4:
		return yearDate(s, i, v, j)
	case n <= 2:
		return yearlessDate(s, i, v, n, j)
	}
	return dateToken{}, j, false
}

// yearDate reads 2026-11-30, 2026/11/30, 2026.11.30, 2026年11月30日 and the
// month-only 2026-11, 2026/11 and 2026年11月, with a time after a day.
func yearDate(s string, start, year, j int) (dateToken, int, bool) {
	d := dateToken{start: start, year: year}
	sep, w := foldAt(s, j)
	if sep == '-' || sep == '/' || sep == '.' {
		m, mn, k := number(s, j+w)
		if mn == 0 || mn > 2 {
			return d, j, false
		}
		d.month = m
		if c, cw := foldAt(s, k); c == sep {
			if dd, dn, e := number(s, k+cw); dn > 0 {
				if dn > 2 || nextIsDateSep(s, e) {
					return d, e, false
				}
				d.day = dd
				return withClock(s, d, e, sep == '-', false)
			}
		}
		if sep == '.' || nextIsDateSep(s, k) {
			return d, k, false
		}
		d.end = k
		return d, k, validDate(d.year, d.month, 1)
	}
	k := skipSpaces(s, j)
	if !strings.HasPrefix(s[k:], "年") {
		return d, j, false
	}
	m, mn, k := number(s, skipSpaces(s, k+len("年")))
	if mn == 0 || mn > 2 {
		return d, k, false
	}
	k = skipSpaces(s, k)
	if !strings.HasPrefix(s[k:], "月") {
		return d, k, false
	}
	d.month = m
	k += len("月")
	dd, dn, e := number(s, skipSpaces(s, k))
	if dn == 0 {
		d.end = k
		return d, k, validDate(d.year, d.month, 1)
	}
	if dn > 2 {
		return d, e, false
	}
	d.day = dd
	ri := false
	if e2 := skipSpaces(s, e); strings.HasPrefix(s[e2:], "日") {
		e, ri = e2+len("日"), true
	}
	return withClock(s, d, e, false, ri)
}

// yearlessDate reads 11-30 and 11月30日, with a time.
func yearlessDate(s string, start, month, n, j int) (dateToken, int, bool) {
	d := dateToken{start: start, month: month}
	if c, w := foldAt(s, j); c == '-' {
		dd, dn, e := number(s, j+w)
		if dn == 0 {
			return d, j, false
		}
		if n != 2 || dn != 2 || nextIsDateSep(s, e) {
			return d, e, false
		}
		d.day = dd
		return withClock(s, d, e, false, false)
	}
	k := skipSpaces(s, j)
	if !strings.HasPrefix(s[k:], "月") {
		return d, j, false
	}
	dd, dn, e := number(s, skipSpaces(s, k+len("月")))
	if dn == 0 || dn > 2 {
		return d, max(e, j), false
	}
	e2 := skipSpaces(s, e)
	if !strings.HasPrefix(s[e2:], "日") {
		return d, e, false
	}
	d.day = dd
	return withClock(s, d, e2+len("日"), false, true)
}

// withClock checks d, ending at e, reads the time after it, and returns the
// finished token. A time that is there but impossible spoils the date.
func withClock(s string, d dateToken, e int, allowT, afterRi bool) (dateToken, int, bool) {
	c, end, ok := clockAt(s, e, allowT, afterRi)
	d.end = end
	if !ok {
		return d, end, false
	}
	d.clock = c
	if d.year != 0 && !validDate(d.year, d.month, d.day) ||
		d.year == 0 && (d.month < 1 || d.month > 12 || d.day < 1 || d.day > daysIn(0, d.month)) {
		return d, end, false
	}
	return d, end, true
}

// clockAt reads a time of day at i: "T10:20:00Z" (allowT), " 10:20",
// " 10:20:46.5+08:00", or " 10时20分"; the space may be missing after 日.
// Without a time it returns a zero clock and i; ok is false only for a time
// that cannot be (25:00).
func clockAt(s string, i int, allowT, afterRi bool) (c clock, end int, ok bool) {
	p := i
	if ch, _ := foldAt(s, i); allowT && ch == 'T' {
		p, c.isoTForm = i+1, true
	} else if p = skipSpaces(s, i); p == i && !afterRi {
		return clock{}, i, true
	}
	h, hn, k := number(s, p)
	if hn == 0 || hn > 2 {
		return clock{}, i, true
	}
	c.hour = h
	switch sep, w := foldAt(s, k); {
	case sep == ':':
		m, mn, k2 := number(s, k+w)
		if mn != 2 {
			return clock{}, i, true
		}
		c.min, k = m, k2
		if sep, w := foldAt(s, k); sep == ':' {
			if sec, sn, k3 := number(s, k+w); sn == 2 {
				c.sec, c.hasSec, k = sec, true, k3
				k = fraction(s, k, &c)
			}
		}
		if c.isoTForm || c.hasSec {
			var zok bool
			if k, zok = zoneAt(s, k, &c); !zok {
				return clock{}, k, false
			}
		}
	case strings.HasPrefix(s[k:], "时") || strings.HasPrefix(s[k:], "点"):
		m, mn, k2 := number(s, k+len("时"))
		if mn == 0 || mn > 2 || !strings.HasPrefix(s[k2:], "分") {
			return clock{}, i, true
		}
		c.min, k = m, k2+len("分")
		if sec, sn, k3 := number(s, k); sn > 0 && sn <= 2 && strings.HasPrefix(s[k3:], "秒") {
			c.sec, c.hasSec, k = sec, true, k3+len("秒")
		}
	default:
		return clock{}, i, true
	}
	if c.hour > 23 || c.min > 59 || c.sec > 59 {
		return clock{}, k, false
	}
	return c, k, true
}

// fraction reads the fraction of a second at i (".5", ",123456"), keeping
// nanoseconds.
func fraction(s string, i int, c *clock) int {
	ch, w := foldAt(s, i)
	if ch != '.' && ch != ',' {
		return i
	}
	k := i + w
	scale := int(time.Second)
	for {
		d, dw := foldAt(s, k)
		if !isASCIIDigit(d) {
			break
		}
		if scale > 1 {
			scale /= 10
			c.nsec += int(d-'0') * scale
		}
		k += dw
	}
	if k == i+w {
		return i
	}
	return k
}

// zoneAt reads "Z", "+08:00", "+0800" or "+08" at i. ok is false for an
// impossible offset.
func zoneAt(s string, i int, c *clock) (end int, ok bool) {
	ch, w := foldAt(s, i)
	switch ch {
	case 'Z', 'z':
		c.zoned, c.offset = true, 0
		return i + w, true
	case '+', '-':
	default:
		return i, true
	}
	k := i + w
	h, hn, k := number(s, k)
	m := 0
	switch {
	case hn == 4:
		h, m = h/100, h%100
	case hn == 2:
		if sep, sw := foldAt(s, k); sep == ':' {
			if mm, mn, k2 := number(s, k+sw); mn == 2 {
				m, k = mm, k2
			}
		}
	default:
		return i, true
	}
	if h > 23 || m > 59 {
		return k, false
	}
	c.zoned, c.offset = true, (h*60+m)*60
	if ch == '-' {
		c.offset = -c.offset
	}
	return k, true
}

// number reads the digits at i: their value (capped, for long runs), their
// count, and the end of the run.
func number(s string, i int) (v, n, end int) {
	for i < len(s) {
		c, w := foldAt(s, i)
		if !isASCIIDigit(c) {
			break
		}
		if n < 9 {
			v = v*10 + int(c-'0')
		}
		n++
		i += w
	}
	return v, n, i
}

// nextIsDateSep reports whether a date separator and a digit follow i: the
// number goes on, so what came before was not a date.
func nextIsDateSep(s string, i int) bool {
	c, w := foldAt(s, i)
	if c != '-' && c != '/' && c != '.' {
		return false
	}
	d, _ := foldAt(s, i+w)
	return isASCIIDigit(d)
}

func skipSpaces(s string, i int) int {
	for i < len(s) {
		c, w := foldAt(s, i)
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		i += w
	}
	return i
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// foldAt returns the character at i as ASCII, folding full-width digits and
// punctuation and the other spaces, with its width in bytes; other
// non-ASCII characters are 0x80. At the end it returns 0, 0.
func foldAt(s string, i int) (byte, int) {
	if i >= len(s) {
		return 0, 0
	}
	if s[i] < utf8.RuneSelf {
		return s[i], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return foldRune(r), w
}

// foldBefore is foldAt for the character ending at i.
func foldBefore(s string, i int) (byte, int) {
	if i <= 0 {
		return 0, 0
	}
	if s[i-1] < utf8.RuneSelf {
		return s[i-1], 1
	}
	r, w := utf8.DecodeLastRuneInString(s[:i])
	return foldRune(r), w
}

func foldRune(r rune) byte {
	switch {
	case r >= '０' && r <= '９':
		return byte('0' + r - '０')
	case r == '－', r == '−', r >= '‐' && r <= '―':
		return '-'
	case r == '／':
		return '/'
	case r == '．':
		return '.'
	case r == '：':
		return ':'
	case r == '\u00a0', r == '\u3000':
		return ' '
	case r == 'Ｔ':
		return 'T'
	case r == '＋':
		return '+'
	}
	return 0x80
}
