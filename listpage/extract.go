package listpage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/qualitywatch/qualitywatch/rhythm"
)

// Entry is one entry of a list page.
type Entry struct {
	Title string
	Link  string    // absolute, resolved against the page (or the API URL), without fragment
	Date  time.Time // zero when the list gave none that could be read
	// DateText is what the date selector read, "" when none was configured
	// or it found nothing.
	DateText string
	// FutureDate is a date found but ignored because it lies more than a
	// day ahead of the time of reading.
	FutureDate string
}

// Page is what one list page yielded.
type Page struct {
	Entries []Entry
	Matched int // elements (or JSON entries) the item selector matched
	Skipped int // matched but without a title or a link: navigation, not entries
	// Dated counts the entries whose date selector read a date.
	Dated int
	// Records is the number of Hanweb datastore records read, 0 when the
	// page has none.
	Records int
}

// Options are what extraction needs besides the page.
type Options struct {
	Location *time.Location // zone of dates that name none; nil: China (rhythm.China)
	Now      time.Time      // for years left out and dates in the future; zero: time.Now()
}

func (o Options) loc() *time.Location {
	if o.Location == nil {
		return rhythm.China()
	}
	return o.Location
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// LayoutError says that a page did not have the shape its selectors expect:
// the site changed its template, or the selectors are wrong. It names the
// selector at fault.
type LayoutError struct {
	Key      string // "select.item", "select.link", "select.date", "select.html", "select.items"
	Selector string
	URL      string
	Problem  string // "matched nothing", ...
}

func (e *LayoutError) Error() string {
	return fmt.Sprintf("%s %q %s on %s", e.Key, e.Selector, e.Problem, e.URL)
}

// hanwebRecord finds the records of a Hanweb JCMS datastore: page 1 keeps
// them in a <script type="text/xml"> that HTML parsers read as raw text;
// dataproxy.jsp answers with the datastore alone.
var hanwebRecord = regexp.MustCompile(`(?s)<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>`)

// HanwebRecords returns the HTML fragment of each Hanweb datastore record in
// body, nil when it has none.
func HanwebRecords(body []byte) [][]byte {
	if !bytes.Contains(body, []byte("<record>")) {
		return nil
	}
	var out [][]byte
	for _, m := range hanwebRecord.FindAllSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// Extract reads the entries of one list page. body is the page in UTF-8;
// pageURL is where it was fetched from, after redirects: links resolve
// against it (or the page's <base href>). A page whose selectors find no
// entry gives a *LayoutError naming the selector at fault; so does a date
// selector that reads no date on any entry, in which case the entries come
// with the error.
func (s *Spec) Extract(body []byte, pageURL string, o Options) (Page, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return Page{}, fmt.Errorf("page url %q: %w", pageURL, err)
	}
	if s.Kind == KindJSON {
		return s.extractJSON(body, base, o)
	}
	return s.extractHTML(body, base, o)
}

func (s *Spec) extractHTML(body []byte, base *url.URL, o Options) (Page, error) {
	var p Page
	if recs := HanwebRecords(body); len(recs) > 0 {
		// Each record is parsed on its own, and item matched inside it.
		p.Records = len(recs)
		for _, r := range recs {
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r))
			if err != nil {
				continue
			}
			s.readItems(doc.Selection, base, o, &p)
		}
	} else {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			return p, fmt.Errorf("parse html: %w", err)
		}
		if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
			if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
				base = b
			}
		}
		s.readItems(doc.Selection, base, o, &p)
	}
	return p, s.check(p, base.String())
}

// readItems appends the entries that the item selector finds under root.
func (s *Spec) readItems(root *goquery.Selection, base *url.URL, o Options, p *Page) {
	root.FindMatcher(s.Item.m).Each(func(_ int, el *goquery.Selection) {
		p.Matched++
		title := s.Title.Value(el)
		if title == "" && s.Title.Attr != "" {
			// a@title on an anchor without a title attribute: its text.
			title = collapse(s.Title.find(el).Text())
		}
		e, ok := s.entry(title, s.Link.Value(el), base, o)
		if !ok {
			p.Skipped++
			return
		}
		if s.hasDate {
			e.DateText = s.Date.Value(el)
		}
		if e.date(o) {
			p.Dated++
		}
		p.Entries = append(p.Entries, e)
	})
}

// entry builds an entry from the title and the link as read, or reports
// that the element is not one (no title or no usable link).
func (s *Spec) entry(title, link string, base *url.URL, o Options) (Entry, bool) {
	title = TrimDate(collapse(title))
	abs, ok := resolve(base, link)
	if title == "" || !ok {
		return Entry{}, false
	}
	return Entry{Title: title, Link: abs}, true
}

// date sets e.Date from DateText, else from the link's path; a date more
// than a day ahead of now is set aside. It reports whether DateText held a
// date.
func (e *Entry) date(o Options) (listed bool) {
	t, ok := time.Time{}, false
	if e.DateText != "" {
		t, ok = ParseDate(e.DateText, o.loc(), o.now())
		listed = ok
	}
	if !ok {
		t, ok = DateFromURL(e.Link, o.loc())
	}
	if !ok {
		return listed
	}
	if t.After(o.now().Add(24 * time.Hour)) {
		e.FutureDate = t.Format(time.RFC3339)
		return listed
	}
	e.Date = t
	return listed
}

// resolve makes link absolute against base, drops its fragment and
// lower-cases scheme and host; javascript:, mailto: and bare "#" links are
// not entries.
func resolve(base *url.URL, link string) (string, bool) {
	link = strings.TrimSpace(link)
	if link == "" || strings.HasPrefix(link, "#") {
		return "", false
	}
	u, err := base.Parse(link)
	if err != nil {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", false
	}
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}

// check turns a page that yielded nothing into a LayoutError naming the
// selector at fault.
func (s *Spec) check(p Page, pageURL string) error {
	switch {
	case p.Matched == 0:
		if s.Kind == KindJSON && !s.hasHTML {
			return &LayoutError{Key: "select.items", Selector: s.Items.String(), URL: pageURL, Problem: "is an empty list"}
		}
		return &LayoutError{Key: "select.item", Selector: s.Item.raw, URL: pageURL, Problem: "matched nothing"}
	case len(p.Entries) == 0:
		if s.Kind == KindJSON && !s.hasHTML {
			return &LayoutError{Key: "select.link", Selector: s.LinkP.String(), URL: pageURL,
				Problem: fmt.Sprintf("gave no link with a title in %d entries", p.Matched)}
		}
		return &LayoutError{Key: "select.link", Selector: s.Link.String(), URL: pageURL,
			Problem: fmt.Sprintf("found no link with a title (select.title %q) in %d matched items", s.Title.String(), p.Matched)}
	}
	if !s.hasDate || p.Dated > 0 {
		return nil
	}
	sel := s.Date.String()
	if s.Kind == KindJSON && !s.hasHTML {
		sel = s.DateP.String()
	}
	first := ""
	if len(p.Entries) > 0 {
		first = p.Entries[0].DateText
	}
	return &LayoutError{Key: "select.date", Selector: sel, URL: pageURL,
		Problem: fmt.Sprintf("read no date in %d entries (first read: %q)", len(p.Entries), first)}
}

func (s *Spec) extractJSON(body []byte, base *url.URL, o Options) (Page, error) {
	doc, err := decodeJSON(body)
	if err != nil {
		return Page{}, err
	}
	if s.hasHTML {
		v, ok := s.HTML.Get(doc)
		frag, isStr := v.(string)
		if !ok || !isStr {
			return Page{}, &LayoutError{Key: "select.html", Selector: s.HTML.String(), URL: base.String(), Problem: "found no HTML fragment"}
		}
		return s.extractHTML([]byte(frag), base, o)
	}
	v, ok := s.Items.Get(doc)
	list, isList := v.([]any)
	if !ok || !isList {
		return Page{}, &LayoutError{Key: "select.items", Selector: s.Items.String(), URL: base.String(), Problem: "found no list"}
	}
	var p Page
	for _, it := range list {
		p.Matched++
		title, _ := s.TitleP.Get(it)
		link, _ := s.LinkP.Get(it)
		e, ok := s.entry(scalar(title), scalar(link), base, o)
		if !ok {
			p.Skipped++
			continue
		}
		if s.hasDate {
			d, _ := s.DateP.Get(it)
			e.DateText = strings.TrimSpace(scalar(d))
		}
		if e.date(o) {
			p.Dated++
		}
		p.Entries = append(p.Entries, e)
	}
	return p, s.check(p, base.String())
}

// decodeJSON reads a JSON document, whatever the server said it was
// (text/html is common), tolerating a byte order mark and a JSONP wrapper
// ("callback({...});").
func decodeJSON(body []byte) (any, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\ufeff")))
	if len(b) > 0 && b[0] != '{' && b[0] != '[' {
		if i, j := bytes.IndexAny(b, "{["), bytes.LastIndexAny(b, "}]"); i >= 0 && j > i {
			b = b[i : j+1]
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON (starts %q): %w", prefix(body, 40), err)
	}
	return v, nil
}

func prefix(b []byte, n int) string {
	return strings.ToValidUTF8(string(b[:min(len(b), n)]), "")
}
