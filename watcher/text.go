package watcher

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText turns an HTML fragment (or plain text) into one line of plain
// text: tags dropped, block boundaries and <br> become spaces, scripts and
// styles removed, entities decoded (twice, as feeds often escape twice),
// runs of whitespace (ideographic space included) collapsed to one space.
//
// The fragment is read token by token, not built into a tree: only the
// text and the tags around it matter, and a poll reads every new entry's
// summary and content.
func PlainText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	z := nethtml.NewTokenizer(strings.NewReader(s))
	var hidden atom.Atom // the element whose content is being left out
	depth := 0           // how deep inside it
	for {
		tt := z.Next()
		switch tt {
		case nethtml.ErrorToken:
			text := b.String()
			if strings.Contains(text, "&") {
				text = html.UnescapeString(text)
			}
			return collapseSpace(text)
		case nethtml.TextToken:
			if depth == 0 {
				b.Write(z.Text())
			}
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case depth > 0:
				if a == hidden && tt == nethtml.StartTagToken {
					depth++
				}
			case isHidden(a):
				if tt == nethtml.StartTagToken {
					hidden, depth = a, 1
				}
			case a == atom.Br || a == atom.Hr || a == atom.Img || isBlock(a):
				b.WriteByte(' ')
			}
		case nethtml.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case depth > 0:
				if a == hidden {
					depth--
				}
			case a == atom.Br || isBlock(a):
				b.WriteByte(' ')
			}
		}
	}
}

// isHidden reports whether an element's content is not text a reader sees.
func isHidden(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Iframe, atom.Object:
		return true
	}
	return false
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Tr,
		atom.Td, atom.Th, atom.Blockquote, atom.Pre, atom.Section, atom.Article,
		atom.Header, atom.Footer, atom.Figure, atom.Figcaption, atom.Address, atom.Body:
		return true
	}
	return false
}

// collapseSpace trims s and turns every run of white space into one space.
// Runs of other characters are copied as they are, and invalid UTF-8
// becomes U+FFFD.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if isSpace(r) {
			space = true
			i += n
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		j := i + n // the run of characters that are neither space nor invalid
		for j < len(s) {
			r, m := rune(s[j]), 1
			if r >= utf8.RuneSelf {
				r, m = utf8.DecodeRuneInString(s[j:])
			}
			if isSpace(r) || r == utf8.RuneError && m == 1 {
				break
			}
			j += m
		}
		b.WriteString(s[i:j])
		i = j
	}
	return b.String()
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return r >= utf8.RuneSelf && (unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff')
}

// Summary is the plain text of an entry's summary, or of its content when
// the summary is empty, cut to at most maxRunes runes: a cut text ends in
// "…" within that count. maxRunes <= 0 means no limit.
func Summary(e Entry, maxRunes int) string {
	text := PlainText(e.Summary)
	if text == "" {
		text = PlainText(e.Content)
	}
	return truncate(text, maxRunes)
}

// truncate cuts s at a rune boundary so that it has at most max runes,
// the last being "…".
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	if max == 1 {
		return "…"
	}
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	return strings.TrimRightFunc(s[:cut], unicode.IsSpace) + "…"
}
