package cli

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// The --jsonl hot path decodes and encodes by hand: encoding/json costs more
// than the classification itself. decodeItemFast handles the common shape
// (an object whose values are strings, null or integers) and reports false
// for anything else, which then goes through encoding/json, errors included.

// decodeItemFast decodes {"id","title","text"} from line. id is the raw
// JSON value (a string or null), copied.
func decodeItemFast(line []byte) (it jsonlItem, ok bool) {
	i := skipSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return it, false
	}
	i = skipSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return it, skipSpace(line, i+1) == len(line)
	}
	for {
		key, end, esc := scanString(line, i)
		if end < 0 || esc {
			return it, false
		}
		i = skipSpace(line, end)
		if i >= len(line) || line[i] != ':' {
			return it, false
		}
		i = skipSpace(line, i+1)
		if i >= len(line) {
			return it, false
		}
		var valEnd int
		switch c := line[i]; {
		case c == '"':
			val, e, esc := scanString(line, i)
			if e < 0 {
				return it, false
			}
			valEnd = e
			switch string(key) {
			case "id":
				if esc {
					return it, false
				}
				it.ID = bytes.Clone(line[i:e])
			case "title", "text":
				s, ok := stringValue(line[i:e], val, esc)
				if !ok {
					return it, false
				}
				if key[1] == 'i' {
					it.Title = s
				} else {
					it.Text = s
				}
			default:
				if esc || foldsToField(key) {
					return it, false // escapes are checked by encoding/json
				}
			}
		case c == 'n' && bytes.HasPrefix(line[i:], []byte("null")):
			valEnd = i + 4
			if string(key) == "id" {
				it.ID = json.RawMessage("null")
			}
		case c == '-' || c >= '0' && c <= '9':
			valEnd = i
			if line[valEnd] == '-' {
				valEnd++
			}
			digits := valEnd
			for valEnd < len(line) && line[valEnd] >= '0' && line[valEnd] <= '9' {
				valEnd++
			}
			// An integer: -?(0|[1-9][0-9]*). Anything else takes the slow path.
			if valEnd == digits || line[digits] == '0' && valEnd-digits > 1 || string(key) == "id" || foldsToField(key) {
				return it, false
			}
		case (c == '{' || c == '[') && !foldsToField(key):
			valEnd = skipComposite(line, i)
			if valEnd < 0 {
				return it, false
			}
		default:
			return it, false
		}
		i = skipSpace(line, valEnd)
		if i >= len(line) {
			return it, false
		}
		switch line[i] {
		case ',':
			i = skipSpace(line, i+1)
		case '}':
			return it, skipSpace(line, i+1) == len(line)
		default:
			return it, false
		}
	}
}

// skipComposite returns the index past the object or array starting at
// b[i], or -1 when it is not valid JSON.
func skipComposite(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			_, end, _ := scanString(b, j)
			if end < 0 {
				return -1
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				if !json.Valid(b[i : j+1]) {
					return -1
				}
				return j + 1
			}
		}
	}
	return -1
}

// foldsToField reports a key that encoding/json would match to a field
// case-insensitively; such lines take the slow path.
func foldsToField(key []byte) bool {
	return bytes.EqualFold(key, []byte("id")) || bytes.EqualFold(key, []byte("title")) || bytes.EqualFold(key, []byte("text"))
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"'. It returns its
// raw content, the index past the closing quote (-1 when malformed) and
// whether it holds escapes.
func scanString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1, false
	}
	esc := false
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, esc
		case c == '\\':
			esc = true
			j++
		case c < 0x20:
			return nil, -1, false
		}
	}
	return nil, -1, false
}

// stringValue returns the Go string of a scanned JSON string.
func stringValue(quoted, raw []byte, esc bool) (string, bool) {
	if !esc {
		if !utf8.Valid(raw) {
			return "", false // encoding/json would replace the bad bytes
		}
		return string(raw), true
	}
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return "", false
	}
	return s, true
}

// appendVerdictJSON appends the --jsonl output object for one item.
func appendVerdictJSON(b []byte, id json.RawMessage, v classifier.Verdict) []byte {
	b = append(b, `{"id":`...)
	b = append(b, id...)
	b = append(b, `,"match":`...)
	b = strconv.AppendBool(b, v.Match)
	b = append(b, `,"score":`...)
	b = strconv.AppendFloat(b, v.Score, 'f', -1, 64)
	b = append(b, `,"categories":`...)
	b = appendStrings(b, v.Categories)
	b = append(b, `,"regions":`...)
	b = appendStrings(b, v.Regions)
	b = append(b, `,"terms":[`...)
	for i, t := range v.Terms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"term":`...)
		b = appendJSONString(b, t.Term)
		b = append(b, `,"category":`...)
		b = appendJSONString(b, t.Category)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, int64(t.Count), 10)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string, escaping what JSON requires
// (and U+2028, U+2029 for JavaScript readers); invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == 0x2028 || r == 0x2029:
			b = append(b, `\u202`...)
			b = append(b, hex[r&0xF])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
