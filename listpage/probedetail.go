package listpage

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// knownBodies are the article containers of the CMS families seen on
// regulators' sites, best first.
var knownBodies = []string{
	"div.TRS_Editor", "div.text_content", "div.wenzhang div.content", "div.zt_xilan_07", "div.Three_xilan_07",
	"div.v_news_content", "div#zoom", "div.article-content", "div.pages_content", "div.article", "div.content",
}

// ProbeDetail proposes a detail block for an entry's page (body in UTF-8)
// and reads the page with it.
func ProbeDetail(body []byte, pageURL string, o Options) (DetailSelect, Detail, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return DetailSelect{}, Detail{}, fmt.Errorf("parse html: %w", err)
	}
	var d DetailSelect
	for _, k := range knownBodies {
		if el := doc.Find(k).First(); el.Length() > 0 && textWeight(el) >= 40 {
			d.Body = k
			break
		}
	}
	if d.Body == "" {
		el := doc.Find("body")
		for {
			var next *goquery.Selection
			w := textWeight(el)
			el.Children().Each(func(_ int, c *goquery.Selection) {
				if cw := textWeight(c); float64(cw) >= 0.7*float64(w) && (next == nil || cw > textWeight(next)) {
					next = c
				}
			})
			if next == nil {
				break
			}
			el = next
		}
		if goquery.NodeName(el) == "body" || textWeight(el) < 40 {
			return d, Detail{}, fmt.Errorf("found no article text on %s", pageURL)
		}
		d.Body = containerSelector(doc, el)
	}
	spec, err := CompileDetail(d)
	if err != nil {
		return d, Detail{}, err
	}
	det, err := spec.Extract(body, pageURL, o)
	return d, det, err
}

// textWeight is the number of characters of el's text outside links and
// scripts: article text weighs, navigation does not.
func textWeight(el *goquery.Selection) int {
	all := utf8.RuneCountInString(collapse(el.Text()))
	links := utf8.RuneCountInString(collapse(el.Find("a, script, style").Text()))
	return all - links
}

// SuggestName proposes a source name ([a-z0-9-]+) from a list URL: the
// host's distinctive labels and the column's last path segment.
func SuggestName(pageURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil {
		return "source"
	}
	var parts []string
	for _, l := range strings.Split(strings.ToLower(u.Hostname()), ".") {
		switch l {
		case "www", "gov", "cn", "com", "org", "net":
			continue
		}
		parts = append(parts, l)
	}
	segs := strings.FieldsFunc(u.Path, func(r rune) bool { return r == '/' })
	for i := len(segs) - 1; i >= 0; i-- {
		s := strings.TrimSuffix(segs[i], extOf(segs[i]))
		if s != "" && s != "index" && s != "list" && s != "module" {
			parts = append(parts, s)
			break
		}
	}
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		}
		return '-'
	}, strings.Join(parts, "-"))
	name = strings.Trim(regexp.MustCompile(`-+`).ReplaceAllString(name, "-"), "-")
	if name == "" {
		return "source"
	}
	return name
}

// extOf is the extension of a file name, with its dot.
func extOf(seg string) string {
	if i := strings.LastIndexByte(seg, '.'); i > 0 {
		return seg[i:]
	}
	return ""
}
