package listpage

import (
	"iter"
	"strings"
	"time"
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
