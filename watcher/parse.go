package watcher

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/qualitywatch/qualitywatch/rhythm"
)

// Entry is one item of a feed, its text in UTF-8. Title is plain text;
// Summary (RSS description, Atom summary) and Content are as the feed gave
// them, often HTML: see PlainText and Summary. GUID is the RSS guid, Atom id
// or JSON Feed id.
type Entry struct {
	GUID, Link, Title, Summary, Content string
	Published                           time.Time // zero if unknown; the update time when only that is given
	Updated                             time.Time // zero if unknown
}

// Feed is a parsed feed.
type Feed struct {
	Title, Link string
	Charset     string // what the body was decoded as, see DecodeUTF8
	Entries     []Entry
}

// Parse decodes body to UTF-8 (see DecodeUTF8) and parses it as RSS 0.9x/2.0,
// RSS 1.0 (RDF), Atom 0.3/1.0 or JSON Feed. contentType is the HTTP
// Content-Type header, "" if unknown.
//
// XML must be well-formed, with two allowances real feeds need: HTML named
// entities (&nbsp;) and bare ampersands ("R&D") are accepted. Anything else,
// such as a truncated character reference or a missing end tag, is an error
// naming its line, rather than a feed whose text is silently cut.
//
// Dates that carry no zone ("2026-11-05 10:00:00", common on Chinese sites)
// are taken as China Standard Time; ParseIn names another zone.
func Parse(body []byte, contentType string) (Feed, error) {
	return ParseIn(body, contentType, chinaStandardTime())
}

// chinaStandardTime is the zone of the sites this program watches.
func chinaStandardTime() *time.Location { return rhythm.China() }

// endsWithZone reports whether a date string ends with a zone: "Z", an
// offset (+0800, -05:00) or a zone abbreviation (GMT, UTC, UT, CST, HKT,
// JST, SGT, or one or two letters then ST or DT) standing as a word of
// its own. It is read by hand: it runs for every dated entry.
func endsWithZone(raw string) bool {
	s := strings.TrimSpace(raw)
	n := len(s)
	if n == 0 {
		return false
	}
	if s[n-1] == 'z' || s[n-1] == 'Z' {
		return true
	}
	if digits(s, n-2, n) && (digits(s, n-5, n-3) && s[n-3] == ':' && sign(s, n-6) || digits(s, n-4, n-2) && sign(s, n-5)) {
		return true
	}
	start := n
	for start > 0 && isASCIILetter(s[start-1]) {
		start--
	}
	if start == n || start > 0 && isWordByte(s[start-1]) {
		return false
	}
	word := strings.ToLower(s[start:])
	switch word {
	case "gmt", "utc", "ut", "cst", "hkt", "jst", "sgt":
		return true
	}
	return (len(word) == 3 || len(word) == 4) && (strings.HasSuffix(word, "st") || strings.HasSuffix(word, "dt"))
}

// digits reports whether s[i:j] is all ASCII digits (false when i < 0).
func digits(s string, i, j int) bool {
	if i < 0 {
		return false
	}
	for k := i; k < j; k++ {
		if s[k] < '0' || s[k] > '9' {
			return false
		}
	}
	return true
}

func sign(s string, i int) bool { return i >= 0 && (s[i] == '+' || s[i] == '-') }

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isWordByte(c byte) bool { return isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' }

// inZone reads the wall clock of t (parsed as UTC from raw, which named no
// zone) in loc instead.
func inZone(raw string, t time.Time, loc *time.Location) time.Time {
	if t.IsZero() || loc == nil || t.Location() != time.UTC || endsWithZone(raw) {
		return t
	}
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), loc)
}

// ParseIn is Parse with loc as the zone of dates that name none.
func ParseIn(body []byte, contentType string, loc *time.Location) (Feed, error) {
	text, charset, err := DecodeUTF8(body, contentType)
	if err != nil {
		return Feed{}, fmt.Errorf("parse feed: %w", err)
	}
	text = bytes.TrimLeft(text, " \t\r\n")
	switch gofeed.DetectFeedType(bytes.NewReader(text[:min(len(text), 4096)])) {
	case gofeed.FeedTypeUnknown:
		return Feed{}, fmt.Errorf("parse feed: not an RSS, Atom or JSON feed (starts %q)", prefix(text, 40))
	case gofeed.FeedTypeRSS, gofeed.FeedTypeAtom:
		if err := checkWellFormed(text); err != nil {
			return Feed{}, fmt.Errorf("parse feed (%s): %w", charset, err)
		}
	}
	parser := gofeed.NewParser()
	// Items' images are never used: gofeed's fallback that finds one by
	// parsing every item's HTML would cost a parse of each description.
	parser.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	gf, err := parser.Parse(bytes.NewReader(text))
	if err != nil {
		return Feed{}, fmt.Errorf("parse feed (%s): %w", charset, err)
	}
	f := Feed{
		Title:   PlainText(gf.Title),
		Link:    strings.TrimSpace(gf.Link),
		Charset: charset,
		Entries: make([]Entry, 0, len(gf.Items)),
	}
	if f.Link == "" && len(gf.Links) > 0 {
		f.Link = strings.TrimSpace(gf.Links[0])
	}
	for _, it := range gf.Items {
		if it == nil {
			continue
		}
		f.Entries = append(f.Entries, entryOf(it, loc))
	}
	return f, nil
}

func entryOf(it *gofeed.Item, loc *time.Location) Entry {
	e := Entry{
		GUID:    strings.TrimSpace(it.GUID),
		Link:    strings.TrimSpace(it.Link),
		Title:   PlainText(it.Title),
		Summary: it.Description,
		Content: it.Content,
	}
	if e.Link == "" && len(it.Links) > 0 {
		e.Link = strings.TrimSpace(it.Links[0])
	}
	if it.PublishedParsed != nil {
		e.Published = inZone(it.Published, *it.PublishedParsed, loc)
	}
	if it.UpdatedParsed != nil {
		e.Updated = inZone(it.Updated, *it.UpdatedParsed, loc)
	}
	if e.Published.IsZero() {
		e.Published = e.Updated
	}
	return e
}

// escapeLooseAmpersands escapes each ampersand that does not start a known
// entity or a character reference ("R&D", "a & b", "&foo;"). A malformed
// character reference ("&#2...") is left for the XML decoder to reject.
func escapeLooseAmpersands(text []byte) []byte {
	if bytes.IndexByte(text, '&') < 0 {
		return text
	}
	out := make([]byte, 0, len(text)+64)
	for i := 0; i < len(text); i++ {
		c := text[i]
		out = append(out, c)
		if c != '&' || (i+1 < len(text) && text[i+1] == '#') {
			continue
		}
		j := i + 1
		for j < len(text) && j-i <= 32 && isNameByte(text[j]) {
			j++
		}
		name := string(text[i+1 : j])
		if j < len(text) && text[j] == ';' && knownEntity(name) {
			continue
		}
		out = append(out, "amp;"...)
	}
	return out
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func knownEntity(name string) bool {
	switch name {
	case "amp", "lt", "gt", "quot", "apos":
		return true
	}
	_, ok := xml.HTMLEntity[name]
	return ok
}

// checkWellFormed reads every token of an XML document with a strict
// decoder, after escaping bare ampersands and knowing HTML's named entities.
// Most feeds are recognised as well-formed by a single pass over their
// bytes first (wellFormedFast); the decoder reads the rest and names what
// is wrong.
func checkWellFormed(text []byte) error {
	if wellFormedFast(text) {
		return nil
	}
	return checkWellFormedStrict(text)
}

// checkWellFormedStrict is checkWellFormed by encoding/xml alone.
func checkWellFormedStrict(text []byte) error {
	text = escapeLooseAmpersands(text)
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if roots == 0 {
				return errors.New("not well-formed XML: no root element")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
}

func prefix(b []byte, n int) string {
	s := string(b[:min(len(b), n)])
	return strings.ToValidUTF8(s, "")
}
