package listpage

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// Detail is what an entry's own page adds to it.
type Detail struct {
	// BodyHTML is the HTML of the element detail.body selects, links made
	// absolute; "" when it matched nothing (see Note).
	BodyHTML string
	Date     time.Time // zero when the page gives none
	// DateFrom says where Date came from: "detail.date", "meta PubDate",
	// or "" when none.
	DateFrom string
	Title    string // the page's own title (detail.title or meta ArticleTitle), "" if none
	// Note explains a part that was not found, for the log.
	Note string
}

// metaDates are the meta tags government CMSs put the publication date in,
// best first.
var metaDates = []string{"PubDate", "pubdate", "publishdate", "firstpublishedtime", "publishtime", "article:published_time"}

// metaTitles are the meta tags holding an article's own title.
var metaTitles = []string{"ArticleTitle", "articletitle"}

// Extract reads an entry's page, body in UTF-8, fetched from pageURL. The
// date comes from detail.date when configured, else from the page's
// PubDate meta tag; the title from detail.title, else ArticleTitle. A body
// selector that matches nothing is not an error: BodyHTML is empty and
// Note says so.
func (d *DetailSpec) Extract(body []byte, pageURL string, o Options) (Detail, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return Detail{}, fmt.Errorf("page url %q: %w", pageURL, err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return Detail{}, fmt.Errorf("parse html: %w", err)
	}
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
			base = b
		}
	}
	var out Detail
	root := doc.Selection
	if el := d.Body.find(root); el.Length() > 0 {
		absolutize(el, base)
		h, err := goquery.OuterHtml(el)
		if err == nil {
			out.BodyHTML = h
		}
		if d.Body.Attr != "" {
			out.BodyHTML, _ = el.Attr(d.Body.Attr)
		}
	} else {
		out.Note = fmt.Sprintf("detail.body %q matched nothing on %s", d.Body.String(), pageURL)
	}
	var raw string
	if d.hasDate {
		raw, out.DateFrom = d.Date.Value(root), "detail.date"
	}
	if raw == "" {
		raw, out.DateFrom = metaContent(doc, metaDates), "meta PubDate"
	}
	if raw != "" {
		if t, ok := ParseDate(raw, o.loc(), o.now()); ok && !t.After(o.now().Add(24*time.Hour)) {
			out.Date = t
		} else {
			out.DateFrom = ""
		}
	} else {
		out.DateFrom = ""
	}
	if d.hasTitle {
		out.Title = d.Title.Value(root)
	}
	if out.Title == "" {
		out.Title = collapse(metaContent(doc, metaTitles))
	}
	return out, nil
}

func metaContent(doc *goquery.Document, names []string) string {
	for _, n := range names {
		sel := doc.Find(`meta[name="` + n + `"], meta[property="` + n + `"]`).First()
		if v, ok := sel.Attr("content"); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// absolutize makes href and src attributes under el absolute, so that
// attachments (./P0….xls) in an alert's text point somewhere.
func absolutize(el *goquery.Selection, base *url.URL) {
	el.Find("[href], [src]").AddSelection(el).Each(func(_ int, s *goquery.Selection) {
		for _, a := range []string{"href", "src"} {
			if v, ok := s.Attr(a); ok {
				if u, err := base.Parse(strings.TrimSpace(v)); err == nil {
					s.SetAttr(a, u.String())
				}
			}
		}
	})
}

// BetterTitle chooses between a list's title and the article page's own:
// the page's when the list cut the title ("…", "...") and the page's
// starts with what the list kept, else the list's.
func BetterTitle(list, page string) string {
	page = strings.TrimSpace(page)
	if page == "" {
		return list
	}
	cut := strings.TrimRight(list, ".。…· ")
	if (strings.HasSuffix(list, "…") || strings.HasSuffix(list, "...")) && strings.HasPrefix(page, cut) {
		return page
	}
	return list
}
