package watcher

import (
	"bytes"
	"unicode/utf8"
)

// wellFormedFast reports whether text, a UTF-8 XML document, is certainly
// well-formed in the sense of checkWellFormed: same allowances (HTML named
// entities, bare ampersands), same refusals. It reads the common shapes of
// feeds in one pass over the bytes without building tokens, and answers
// false as soon as it meets anything it does not fully understand (a
// DOCTYPE, a non-ASCII name, an error of any kind): false means "not
// known", and the strict decoder decides, with its error naming the line.
// It must never answer true for a document the strict decoder refuses
// (FuzzWellFormedFast checks exactly that).
func wellFormedFast(text []byte) bool {
	if !utf8.Valid(text) {
		return false
	}
	var open [][]byte // names of the elements open, innermost last
	roots := 0
	n := len(text)
	for i := 0; i < n; {
		if text[i] != '<' {
			end := n
			if j := bytes.IndexByte(text[i:], '<'); j >= 0 {
				end = i + j
			}
			if !plainChars(text[i:end]) {
				return false
			}
			i = end
			continue
		}
		if i+1 >= n {
			return false
		}
		var ok bool
		switch text[i+1] {
		case '/':
			var name []byte
			if i, name, ok = endTag(text, i+2); !ok || len(open) == 0 || !bytes.Equal(open[len(open)-1], name) {
				return false
			}
			open = open[:len(open)-1]
		case '?':
			if i, ok = procInst(text, i+2); !ok {
				return false
			}
		case '!':
			if i, ok = commentOrCDATA(text, i); !ok {
				return false
			}
		default:
			var name []byte
			var empty bool
			if i, name, empty, ok = startTag(text, i+1); !ok {
				return false
			}
			if len(open) == 0 {
				roots++
			}
			if !empty {
				open = append(open, name)
			}
		}
	}
	return len(open) == 0 && roots > 0
}

// endTag reads "name S? >" from i, just after "</".
func endTag(text []byte, i int) (next int, name []byte, ok bool) {
	k, ok := xmlName(text, i)
	if !ok {
		return 0, nil, false
	}
	name = text[i:k]
	k = skipSpace(text, k)
	if k >= len(text) || text[k] != '>' {
		return 0, nil, false
	}
	return k + 1, name, true
}

// startTag reads "name (S? attr S? = S? 'value')* S? /?>" from i, just
// after "<".
func startTag(text []byte, i int) (next int, name []byte, empty, ok bool) {
	k, ok := xmlName(text, i)
	if !ok {
		return 0, nil, false, false
	}
	name = text[i:k]
	n := len(text)
	for {
		k = skipSpace(text, k)
		if k >= n {
			return 0, nil, false, false
		}
		switch text[k] {
		case '>':
			return k + 1, name, false, true
		case '/':
			if k+1 < n && text[k+1] == '>' {
				return k + 2, name, true, true
			}
			return 0, nil, false, false
		}
		a, ok := xmlName(text, k)
		if !ok {
			return 0, nil, false, false
		}
		a = skipSpace(text, a)
		if a >= n || text[a] != '=' {
			return 0, nil, false, false
		}
		a = skipSpace(text, a+1)
		if a >= n || text[a] != '"' && text[a] != '\'' {
			return 0, nil, false, false
		}
		e := bytes.IndexByte(text[a+1:], text[a])
		if e < 0 {
			return 0, nil, false, false
		}
		value := text[a+1 : a+1+e]
		if bytes.IndexByte(value, '<') >= 0 || !plainChars(value) {
			return 0, nil, false, false
		}
		k = a + 1 + e + 1
	}
}

// procInst reads a processing instruction from i, just after "<?": a
// plain target and anything up to "?>"; the XML declaration must say
// version 1.0 if it names a version.
func procInst(text []byte, i int) (next int, ok bool) {
	end := bytes.Index(text[i:], []byte("?>"))
	if end < 0 {
		return 0, false
	}
	body := text[i : i+end]
	k, ok := xmlName(body, 0)
	if !ok {
		return 0, false
	}
	// The decoder reads the first "version=" it finds, wherever it stands
	// (inside another attribute too): only one, saying 1.0, is vouched for.
	if string(body[:k]) == "xml" {
		if n := bytes.Count(body, []byte("version")); n > 1 ||
			n == 1 && !bytes.Contains(body, []byte(`version="1.0"`)) && !bytes.Contains(body, []byte(`version='1.0'`)) {
			return 0, false
		}
	}
	return i + end + 2, true
}

// commentOrCDATA reads a comment or a CDATA section starting at i ("<!").
func commentOrCDATA(text []byte, i int) (next int, ok bool) {
	switch {
	case bytes.HasPrefix(text[i:], []byte("<!--")):
		k := bytes.Index(text[i+4:], []byte("--"))
		if k < 0 {
			return 0, false
		}
		p := i + 4 + k + 2
		if p >= len(text) || text[p] != '>' {
			return 0, false
		}
		return p + 1, true
	case bytes.HasPrefix(text[i:], []byte("<![CDATA[")):
		k := bytes.Index(text[i+9:], []byte("]]>"))
		if k < 0 || !plainChars(text[i+9:i+9+k]) {
			return 0, false
		}
		return i + 9 + k + 3, true
	}
	return 0, false // a DOCTYPE or another directive
}

// xmlName reads a name from i: ASCII only, a letter or "_" first, at most
// one colon and not at the end. It returns where the name ends.
func xmlName(text []byte, i int) (end int, ok bool) {
	if i >= len(text) {
		return 0, false
	}
	c := text[i]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return 0, false
	}
	colons := 0
	k := i + 1
	for ; k < len(text); k++ {
		c := text[k]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' {
			continue
		}
		if c == ':' {
			colons++
			continue
		}
		break
	}
	if k < len(text) && text[k] >= utf8.RuneSelf || colons > 1 || text[k-1] == ':' {
		return 0, false
	}
	return k, true
}

func skipSpace(text []byte, i int) int {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	return i
}

// plainChars reports whether s, character data or an attribute value, is
// certainly accepted: only characters XML allows (no control characters,
// no U+FFFE or U+FFFF), no "]]>", and every character reference complete
// and naming an allowed character. Other ampersands are fine: a known
// entity is decoded and any other is escaped (see escapeLooseAmpersands).
func plainChars(s []byte) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20:
			if c != '\t' && c != '\n' && c != '\r' {
				return false
			}
		case c == 0xEF:
			if i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) {
				return false
			}
		case c == '>':
			if i >= 2 && s[i-1] == ']' && s[i-2] == ']' {
				return false
			}
		case c == '&':
			if i+1 < len(s) && s[i+1] == '#' {
				end, ok := charRef(s, i+2)
				if !ok {
					return false
				}
				i = end
			}
		}
	}
	return true
}

// charRef reads "[0-9]+;" or "x[0-9a-fA-F]+;" from i and reports where its
// ";" is and whether it names a character XML allows.
func charRef(s []byte, i int) (semi int, ok bool) {
	base := rune(10)
	if i < len(s) && s[i] == 'x' {
		base = 16
		i++
	}
	var r rune
	digits := 0
	for ; i < len(s) && digits <= 8; i++ {
		c := s[i]
		var d rune
		switch {
		case c >= '0' && c <= '9':
			d = rune(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = rune(c-'A') + 10
		case c == ';' && digits > 0:
			allowed := r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF ||
				r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
			return i, allowed
		default:
			return 0, false
		}
		r = r*base + d
		digits++
	}
	return 0, false
}
