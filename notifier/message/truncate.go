package message

import (
	"unicode/utf8"
)

// Ellipsis ends text that was cut short.
const Ellipsis = "…"

// TruncateRunes returns s cut to at most n runes (characters), ending with
// an ellipsis when something was cut. It never splits a character.
func TruncateRunes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, i := 0, 0
	for pos := range s {
		if i == n-1 {
			cut = pos
			break
		}
		i++
	}
	return s[:cut] + Ellipsis
}

// TruncateBytes returns s cut to at most n bytes of UTF-8, ending with an
// ellipsis when something was cut (and n leaves room for it). It never splits
// a character.
func TruncateBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	limit, suffix := n-len(Ellipsis), Ellipsis
	if limit < 0 {
		limit, suffix = n, ""
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit] + suffix
}
