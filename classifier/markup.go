package classifier

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// stripMarkup removes HTML tags, comments, scripts and styles, decodes the
// common character references, and replaces every remaining < > & with a
// look-alike, so that its output contains no markup at all and stripping
// again changes nothing. Block-level tags become line breaks; inline tags
// vanish so that 质<b>量</b> still reads 质量.
func stripMarkup(s string) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '>') < 0 && strings.IndexByte(s, '&') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	lastGT := strings.LastIndexByte(s, '>') // no tag can start after it
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '<':
			if i > lastGT {
				b.WriteString("‹")
				break
			}
			if end, block := tagEnd(s, i); end > i {
				if block {
					b.WriteByte('\n')
				}
				i = end
				continue
			}
			b.WriteString("‹")
		case '>':
			b.WriteString("›")
		case '&':
			if r, end := charRef(s, i); end > i {
				b.WriteRune(r)
				i = end
				continue
			}
			b.WriteString("⅋")
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}

// blockTags are the elements whose boundaries separate lines of text.
var blockTags = map[string]bool{
	"p": true, "br": true, "div": true, "li": true, "ul": true, "ol": true, "tr": true,
	"td": true, "th": true, "table": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"h5": true, "h6": true, "hr": true, "section": true, "article": true, "header": true,
	"footer": true, "nav": true, "title": true, "dd": true, "dt": true, "dl": true,
	"blockquote": true, "pre": true, "aside": true, "figure": true, "figcaption": true,
}

// tagEnd returns the index just past the tag, comment, script or style
// element starting at s[i] == '<', and whether it separates lines; it returns
// i when s[i:] does not start a tag.
func tagEnd(s string, i int) (int, bool) {
	rest := s[i+1:]
	if strings.HasPrefix(rest, "!--") {
		if j := strings.Index(rest[3:], "-->"); j >= 0 {
			return i + 1 + 3 + j + 3, false
		}
		return i, false
	}
	if rest == "" {
		return i, false
	}
	c := rest[0]
	closing := c == '/'
	if closing {
		rest = rest[1:]
		if rest == "" {
			return i, false
		}
		c = rest[0]
	}
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (!closing && (c == '!' || c == '?'))) {
		return i, false
	}
	j := strings.IndexByte(s[i:], '>')
	if j < 0 {
		return i, false
	}
	end := i + j + 1
	name := rest
	if k := strings.IndexAny(name, " \t\n\r/>"); k >= 0 {
		name = name[:k]
	}
	name = strings.ToLower(name)
	if !closing && (name == "script" || name == "style") {
		if k := indexFold(s[end:], "</"+name); k >= 0 {
			if m := strings.IndexByte(s[end+k:], '>'); m >= 0 {
				return end + k + m + 1, true
			}
		}
		return len(s), true
	}
	return end, blockTags[name]
}

// indexFold is strings.Index for an ASCII needle, ignoring ASCII case.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// namedRefs are the character references news sites actually use. The
// markup characters themselves decode to a space: decoding must never
// produce markup.
var namedRefs = map[string]rune{
	"nbsp": ' ', "ensp": ' ', "emsp": ' ', "thinsp": ' ', "amp": ' ', "lt": ' ', "gt": ' ',
	"quot": '"', "apos": '\'', "ldquo": '“', "rdquo": '”', "lsquo": '‘', "rsquo": '’',
	"mdash": '—', "ndash": '–', "hellip": '…', "middot": '·', "bull": '•', "times": '×',
	"copy": '©', "reg": '®', "trade": '™', "yen": '¥', "deg": '°', "laquo": '«', "raquo": '»',
}

// charRef decodes the character reference at s[i] == '&', returning the rune
// and the index past the ';', or i when there is none. A numeric reference
// to an ASCII character decodes to a space, so that no reference can build
// another one.
func charRef(s string, i int) (rune, int) {
	j := strings.IndexByte(s[i:min(len(s), i+12)], ';')
	if j < 2 {
		return 0, i
	}
	body := s[i+1 : i+j]
	end := i + j + 1
	if body[0] != '#' {
		if r, ok := namedRefs[body]; ok {
			return r, end
		}
		return 0, i
	}
	var n uint64
	var err error
	if len(body) > 1 && (body[1] == 'x' || body[1] == 'X') {
		n, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(body[1:], 10, 32)
	}
	if err != nil {
		return 0, i
	}
	r := rune(n)
	if r < 0x80 || !utf8.ValidRune(r) {
		return ' ', end
	}
	return r, end
}
