package watcher

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	nethtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// PlainText turns an HTML fragment (or plain text) into one line of plain
// text: tags dropped, block boundaries and <br> become spaces, scripts and
// styles removed, entities decoded (twice, as feeds often escape twice),
// runs of whitespace (ideographic space included) collapsed to one space.
func PlainText(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		// The HTML parser accepts any input; only a failing reader errors.
		return collapseSpace(html.UnescapeString(s))
	}
	var b strings.Builder
	for _, n := range doc.Nodes {
		writeText(&b, n)
	}
	text := b.String()
	if strings.Contains(text, "&") {
		text = html.UnescapeString(text)
	}
	return collapseSpace(text)
}

// writeText appends the text under n, with a space at each block boundary.
func writeText(b *strings.Builder, n *nethtml.Node) {
	switch n.Type {
	case nethtml.TextNode:
		b.WriteString(n.Data)
		return
	case nethtml.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head, atom.Iframe, atom.Object:
			return
		case atom.Br, atom.Hr, atom.Img:
			b.WriteByte(' ')
			return
		}
	case nethtml.CommentNode, nethtml.DoctypeNode:
		return
	}
	block := n.Type == nethtml.ElementNode && isBlock(n.DataAtom)
	if block {
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c)
	}
	if block {
		b.WriteByte(' ')
	}
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
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
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
