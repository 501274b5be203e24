package listpage

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

func probeJpaasShell(scripts [][][]byte, pageURL string) (Proposal, error) {
	p := Proposal{Family: FamilyJpaas, Type: KindJSON, URL: pageURL}
	base, err := url.Parse(pageURL)
	if err != nil {
		return p, err
	}
	for _, m := range scripts {
		api, err := base.Parse(html.UnescapeString(string(m[1])))
		if err != nil {
			return p, fmt.Errorf("jpaas data url %q: %w", m[1], err)
		}
		q := url.Values{"parseType": {"bulidstatic"}, "pageType": {"column"}}
		for _, kv := range jpaasQuery.FindAllSubmatch([]byte(html.UnescapeString(string(m[2]))), -1) {
			q.Set(string(kv[1]), string(kv[2]))
		}
		q.Set("paramJson", `{"pageNo":1,"pageSize":10}`)
		api.RawQuery = q.Encode()
		p.Follow = append(p.Follow, api.String())
	}
	p.Notes = append(p.Notes, "a jpaas page: its entries come from the build/unit endpoint (the page number goes inside paramJson)")
	return p, nil
}

// pageParams are the query parameters JSON lists page with.
var pageParams = []string{"page", "pageNo", "pageNum", "pageIndex", "pageNumber", "current", "curPage", "p"}

// pageParamOf finds the parameter of u that holds a page number.
func pageParamOf(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		return ""
	}
	q := pu.Query()
	for _, n := range pageParams {
		for k, v := range q {
			if strings.EqualFold(k, n) && len(v) == 1 && identRe.MatchString("x"+v[0]) && strings.Trim(v[0], "0123456789") == "" {
				return k
			}
		}
	}
	return ""
}

// linkKeys, titleKeys and dateKeys are the JSON field names lists commonly
// use, best first.
var (
	titleKeys = []string{"title", "articleTitle", "name", "subject", "aT", "docTitle", "t"}
	linkKeys  = []string{"url", "link", "href", "aU", "docUrl", "pcUrl", "path"}
	dateKeys  = []string{"publishTime", "pubDate", "publishDate", "date", "time", "aPd", "createTime", "releaseTime", "docRelTime"}
)

func probeJSON(body []byte, pageURL string, o Options) (Proposal, error) {
	p := Proposal{Family: FamilyJSON, Type: KindJSON, URL: pageURL}
	doc, err := decodeJSON(body)
	if err != nil {
		return p, err
	}
	// An HTML fragment (jpaas build/unit): read it as HTML.
	if path, frag := findHTML(doc, ""); path != "" {
		p.Family = FamilyJpaas
		fdoc, err := goquery.NewDocumentFromReader(strings.NewReader(frag))
		if err != nil {
			return p, err
		}
		sel, ok := proposeList(fdoc, o)
		if !ok {
			return p, fmt.Errorf("the HTML in %s holds no repeated list of links", path)
		}
		sel.HTML = path
		p.Select = sel
		return p.preview(body, o)
	}
	path, list := findList(doc, "")
	if list == nil {
		return p, fmt.Errorf("found no list of entries in the JSON of %s", pageURL)
	}
	p.Select.Items = cmpOr(path, ".")
	first, _ := list[0].(map[string]any)
	p.Select.Title = pickKey(first, titleKeys, func(v any) bool { s, ok := v.(string); return ok && utf8.RuneCountInString(s) >= 4 })
	p.Select.Link = pickKey(first, linkKeys, func(v any) bool {
		s, ok := v.(string)
		return ok && (strings.HasPrefix(s, "http") || strings.HasPrefix(s, "/") || strings.Contains(s, ".htm"))
	})
	p.Select.Date = pickKey(first, dateKeys, func(v any) bool {
		_, ok := ParseDate(scalar(v), o.loc(), o.now())
		return ok
	})
	if p.Select.Title == "" || p.Select.Link == "" {
		return p, fmt.Errorf("the list at %s has no field that looks like a title and a link (fields: %s)", p.Select.Items, strings.Join(keysOf(first), ", "))
	}
	p.PageParam = pageParamOf(pageURL)
	return p.preview(body, o)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// pickKey chooses the field of m that is named like one of names and whose
// value passes ok, else any field whose value passes ok.
func pickKey(m map[string]any, names []string, ok func(any) bool) string {
	for _, n := range names {
		for k, v := range m {
			if strings.EqualFold(k, n) && ok(v) {
				return k
			}
		}
	}
	for _, k := range keysOf(m) {
		if ok(m[k]) {
			return k
		}
	}
	return ""
}

// findHTML finds a string field holding a list of links.
func findHTML(v any, path string) (string, string) {
	switch x := v.(type) {
	case string:
		if strings.Count(x, "<a ") >= 3 {
			return cmpOr(path, "."), x
		}
	case map[string]any:
		for _, k := range keysOf(x) {
			if p, s := findHTML(x[k], joinKey(path, k)); p != "" {
				return p, s
			}
		}
	}
	return "", ""
}

// findList finds the longest array of objects.
func findList(v any, path string) (string, []any) {
	bestPath, best := "", []any(nil)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case []any:
			if len(x) > len(best) {
				if _, ok := x[0].(map[string]any); ok {
					bestPath, best = path, x
				}
			}
		case map[string]any:
			for _, k := range keysOf(x) {
				walk(x[k], joinKey(path, k))
			}
		}
	}
	walk(v, path)
	return bestPath, best
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
