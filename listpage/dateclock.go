package listpage

import (
	"strings"
	"time"
	"unicode/utf8"
)

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
