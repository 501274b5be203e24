package listpage

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
)

// CMS families Probe recognises.
const (
	FamilyHanweb = "hanweb"
	FamilyTRS    = "trs"
	FamilyJpaas  = "jpaas"
	FamilyVSB    = "vsb"
	FamilyJSON   = "json"
	FamilyList   = "list" // a repeated list of links, no family recognised
)

// Proposal is what Probe proposes for a page: a source's type, URL and
// select block, and the entries they yield.
type Proposal struct {
	Family string `json:"family"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Select Select `json:"select"`
	// Follow are URLs to probe instead (a jpaas page's data endpoints, one
	// per list on the page): the page itself holds no entries.
	Follow []string `json:"follow,omitempty"`
	// PageParam is the query parameter that pages a JSON list.
	PageParam string `json:"page_param,omitempty"`
	// Paging is how further list pages would be read ("" when none was
	// found); Pages, how many the page says there are (0 unknown).
	Paging string   `json:"paging,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	// Entries are what the proposal yields on the page.
	Entries []Entry `json:"entries"`
}

var (
	jpaasScript = regexp.MustCompile(`(?s)<script[^>]*\burl="([^"]*build/unit[^"]*)"[^>]*queryData="([^"]*)"`)
	jpaasQuery  = regexp.MustCompile(`'(\w+)'\s*:\s*'([^']*)'`)
	vsbLink     = regexp.MustCompile(`href="[^"]*info/\d+/\d+\.htm`)
	trsLink     = regexp.MustCompile(`/t20\d{6}_\d+\.s?html?`)
)

// Probe recognises the CMS family of a page (body in UTF-8, fetched from
// pageURL) and proposes how to read it as a source, previewing what the
// proposal yields. A jpaas shell page gives a proposal whose Follow names
// the data endpoint to probe next.
func Probe(body []byte, pageURL string, o Options) (Proposal, error) {
	if b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\ufeff"))); len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		return probeJSON(b, pageURL, o)
	}
	if m := jpaasScript.FindAllSubmatch(body, -1); m != nil {
		return probeJpaasShell(m, pageURL)
	}
	p := Proposal{Type: KindHTML, URL: pageURL, Family: FamilyList}
	var roots []*goquery.Selection
	if recs := HanwebRecords(body); len(recs) > 0 {
		p.Family = FamilyHanweb
		for _, r := range recs {
			doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r))
			if err == nil {
				roots = append(roots, doc.Selection)
			}
		}
		p.Select = proposeRecords(roots)
	} else {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
		if err != nil {
			return p, fmt.Errorf("parse html: %w", err)
		}
		switch {
		case trsCountRe.Match(body) || trsLink.Match(body):
			p.Family = FamilyTRS
		case vsbLink.Match(body):
			p.Family = FamilyVSB
		}
		sel, ok := proposeList(doc, o)
		if !ok {
			return p, fmt.Errorf("found no repeated list of links on %s: the entries may be drawn by JavaScript; look for the data it loads (a JSON or XML URL in the page's scripts)", pageURL)
		}
		p.Select = sel
	}
	return p.preview(body, o)
}

// preview compiles the proposal and reads the page with it.
func (p Proposal) preview(body []byte, o Options) (Proposal, error) {
	spec, err := Compile(p.Type, p.Select, p.PageParam)
	if err != nil {
		return p, fmt.Errorf("proposed select block does not compile: %w", err)
	}
	page, err := spec.Extract(body, p.URL, o)
	p.Entries = page.Entries
	if err != nil {
		p.Notes = append(p.Notes, err.Error())
	}
	if page.Skipped > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%d matched items without a title or link were skipped (navigation)", page.Skipped))
	}
	pager := spec.Pager(p.URL)
	if next := pager.Next(body, p.URL, page); next != "" {
		p.Paging = pager.Family() + ": next page " + next
	}
	return p, nil
}

// proposeRecords proposes selectors for Hanweb records, each an entry.
func proposeRecords(roots []*goquery.Selection) Select {
	s := Select{Item: "li", Title: "a", Link: "a@href"}
	if len(roots) == 0 {
		return s
	}
	body := roots[0].Find("body")
	if el := body.Children().First(); el.Length() > 0 {
		s.Item = goquery.NodeName(el)
	}
	withTitle, withDate := 0, map[string]int{}
	for _, r := range roots {
		if t, _ := r.Find("a").First().Attr("title"); strings.TrimSpace(t) != "" {
			withTitle++
		}
		for _, c := range dateCandidates(r.Find(s.Item).First()) {
			withDate[c]++
		}
	}
	if withTitle*2 >= len(roots) {
		s.Title = "a@title"
	}
	s.Date = bestDate(withDate, len(roots))
	return s
}

// proposeList finds the largest repeated list of links with titles in doc
// and proposes selectors for it.
func proposeList(doc *goquery.Document, o Options) (Select, bool) {
	type group struct {
		parent *goquery.Selection
		tag    string
		items  []*goquery.Selection
		score  float64
	}
	var best *group
	doc.Find("body *").Each(func(_ int, parent *goquery.Selection) {
		byTag := map[string][]*goquery.Selection{}
		parent.Children().Each(func(_ int, c *goquery.Selection) {
			// An entry holds one link that looks like an article's.
			anchors := c.Find("a[href]")
			if goquery.NodeName(c) == "a" {
				anchors = c
			}
			n := 0
			anchors.Each(func(_ int, a *goquery.Selection) {
				if entryLike(a) {
					n++
				}
			})
			if n != 1 {
				return
			}
			byTag[goquery.NodeName(c)] = append(byTag[goquery.NodeName(c)], c)
		})
		for tag, items := range byTag {
			dated, long := 0, 0
			for _, it := range items {
				if len(dateCandidates(it)) > 0 {
					dated++
				}
				if utf8.RuneCountInString(collapse(linkText(it))) >= 8 {
					long++
				}
			}
			// Navigation repeats short links without dates; a list of
			// entries has dates, or at least three long titles.
			if len(items) < 3 && (dated < len(items) || long < len(items)) {
				continue
			}
			n := float64(len(items))
			score := n * (0.05 + float64(dated)/n) * (0.2 + float64(long)/n)
			if best == nil || score > best.score {
				best = &group{parent: parent, tag: tag, items: items, score: score}
			}
		}
	})
	if best == nil {
		return Select{}, false
	}
	s := Select{Title: "a", Link: "a@href"}
	if strings.HasSuffix(best.tag, "a") && (best.tag == "a" || strings.HasSuffix(best.tag, " a")) {
		s.Title, s.Link = "@title", "@href"
	}
	best.tag, best.items = descend(best.tag, best.items)
	s.Item = containerSelector(doc, best.parent) + " > " + best.tag
	withTitle, withDate := 0, map[string]int{}
	for _, it := range best.items {
		a := it
		if goquery.NodeName(it) != "a" {
			a = it.Find("a[href]").First()
		}
		if t, _ := a.Attr("title"); strings.TrimSpace(t) != "" {
			withTitle++
		}
		for _, c := range dateCandidates(it) {
			withDate[c]++
		}
	}
	if withTitle*2 >= len(best.items) {
		if s.Link == "@href" {
			s.Title = "@title"
		} else {
			s.Title = "a@title"
		}
	}
	s.Date = bestDate(withDate, len(best.items))
	return s, true
}

// descend narrows items that each wrap a single element holding the
// entry (a <ul> around one <li>, a <table> around rows) to that element,
// so that the item selector still finds each entry when the site adds more.
func descend(tag string, items []*goquery.Selection) (string, []*goquery.Selection) {
	for {
		next := ""
		var inner []*goquery.Selection
		for _, it := range items {
			var holders []*goquery.Selection
			it.Children().Each(func(_ int, c *goquery.Selection) {
				n := 0
				c.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
					if entryLike(a) {
						n++
					}
				})
				if goquery.NodeName(c) == "a" && entryLike(c) {
					n++
				}
				if n > 0 {
					holders = append(holders, c)
				}
			})
			if len(holders) != 1 || goquery.NodeName(holders[0]) == "a" ||
				(len(dateCandidates(it)) > 0 && len(dateCandidates(holders[0])) == 0) {
				return tag, items
			}
			name := goquery.NodeName(holders[0])
			if next != "" && next != name {
				return tag, items
			}
			next = name
			inner = append(inner, holders[0])
		}
		tag, items = tag+" > "+next, inner
	}
}

func linkText(it *goquery.Selection) string {
	if goquery.NodeName(it) == "a" {
		return it.Text()
	}
	return it.Find("a[href]").First().Text()
}

// entryLike reports whether an anchor looks like a list entry's: a real
// link with a title-length text or title attribute.
func entryLike(a *goquery.Selection) bool {
	href, _ := a.Attr("href")
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(strings.ToLower(href), "javascript:") {
		return false
	}
	t, _ := a.Attr("title")
	return utf8.RuneCountInString(collapse(a.Text())) >= 5 || utf8.RuneCountInString(collapse(t)) >= 5
}

// dateCandidates are selectors, relative to an item, of the elements
// holding a date: the tag, or td:nth-child(k) in table rows.
func dateCandidates(it *goquery.Selection) []string {
	var out []string
	seen := map[string]bool{}
	it.Find("*").Each(func(_ int, el *goquery.Selection) {
		name := goquery.NodeName(el)
		if name == "a" || el.Children().Length() > 0 {
			return
		}
		if _, ok := ParseDate(collapse(el.Text()), time.UTC, time.Now()); !ok {
			return
		}
		sel := name
		if name == "td" {
			sel = fmt.Sprintf("td:nth-child(%d)", el.PrevAll().Length()+1)
		} else if cls, ok := el.Attr("class"); ok && strings.TrimSpace(cls) != "" && name != "span" {
			sel = name + "." + strings.Fields(cls)[0]
		}
		if !seen[sel] {
			seen[sel] = true
			out = append(out, sel)
		}
	})
	return out
}

func bestDate(counts map[string]int, n int) string {
	best, bestN := "", 0
	for _, k := range keysOf(anyMap(counts)) {
		if counts[k] > bestN {
			best, bestN = k, counts[k]
		}
	}
	if bestN*2 < n {
		return ""
	}
	return best
}

func anyMap(m map[string]int) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// containerSelector is a CSS selector for el that matches it alone in doc:
// its id, or its tag and classes, prefixed by ancestors' until unique.
func containerSelector(doc *goquery.Document, el *goquery.Selection) string {
	sel := ""
	for cur := el; cur.Length() > 0 && goquery.NodeName(cur) != "html"; cur = cur.Parent() {
		part := simpleSelector(cur)
		if sel == "" {
			sel = part
		} else {
			sel = part + " > " + sel
		}
		if id, ok := cur.Attr("id"); ok && validIdent(id) {
			break
		}
		if doc.Find(sel).Length() == 1 {
			break
		}
	}
	return sel
}

var identRe = regexp.MustCompile(`^[A-Za-z_][-A-Za-z0-9_]*$`)

func validIdent(s string) bool { return identRe.MatchString(s) }

func simpleSelector(el *goquery.Selection) string {
	name := goquery.NodeName(el)
	if id, ok := el.Attr("id"); ok && validIdent(id) {
		return name + "#" + id
	}
	cls, _ := el.Attr("class")
	for _, c := range strings.Fields(cls) {
		if validIdent(c) {
			name += "." + c
		}
	}
	return name
}
