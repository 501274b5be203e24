package listpage

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// Paging families, as Pager.Family reports them.
const (
	PagingNone      = ""
	PagingHanweb    = "hanweb dataproxy"
	PagingTRS       = "trs index_N"
	PagingJpaas     = "jpaas paramJson"
	PagingParam     = "page_param"
	PagingSelector  = "select.next"
	PagingNextLink  = "next link"
	hanwebProxyPath = "/module/web/jpage/dataproxy.jsp"
)

// Pager finds the list pages after the first, the way the page's CMS
// pages:
//
//   - Hanweb JCMS: dataproxy.jsp with startrecord/endrecord/perpage and the
//     column's ids, read from page 1's jpage script;
//   - TRS WCM: index_1.html, index_2.html … up to the pager script's
//     countPage;
//   - jpaas build/unit: pageNo inside the paramJson query parameter;
//   - a JSON list with page_param: that query parameter counted up;
//   - select.next, else a link reading 下一页/下页/Next (VSB and others).
//
// A Pager is used for one poll by one goroutine.
type Pager struct {
	spec    *Spec
	first   *url.URL
	visited map[string]bool
	page    int // pages read so far
	family  string
	// Hanweb
	hanweb  url.Values
	perPage int
	total   int
	records int
	// TRS
	trsCount    int
	trsStem     string
	trsExt      string
	trsDir      *url.URL
	lastYielded int
}

// Pager starts paging from the first page's URL.
func (s *Spec) Pager(firstURL string) *Pager {
	u, _ := url.Parse(firstURL)
	if u == nil {
		u = &url.URL{}
	}
	return &Pager{spec: s, first: u, visited: map[string]bool{u.String(): true}}
}

// Family names the paging found so far ("" before the first page or when
// the page offers none).
func (p *Pager) Family() string { return p.family }

// Next returns the URL of the page after the one just read (body, in
// UTF-8, fetched from pageURL, which yielded got), or "" when there is
// none.
func (p *Pager) Next(body []byte, pageURL string, got Page) string {
	p.page++
	p.lastYielded = len(got.Entries)
	p.records += got.Records
	if p.page == 1 {
		p.learn(body)
	}
	next := p.next(body, pageURL)
	if next == "" || p.visited[next] {
		return ""
	}
	p.visited[next] = true
	return next
}

// learn reads from page 1 how the site pages.
func (p *Pager) learn(body []byte) {
	q := p.first.Query()
	switch {
	case p.spec.Next != nil:
		p.family = PagingSelector
	case p.spec.Kind == KindJSON && strings.Contains(q.Get("paramJson"), "pageNo"):
		p.family = PagingJpaas
	case p.spec.PageParam != "":
		p.family = PagingParam
	case p.spec.Kind == KindHTML && p.learnHanweb(body):
		p.family = PagingHanweb
	case p.spec.Kind == KindHTML && p.learnTRS(body):
		p.family = PagingTRS
	default:
		p.family = PagingNextLink
	}
}

func (p *Pager) next(body []byte, pageURL string) string {
	switch p.family {
	case PagingHanweb:
		return p.nextHanweb()
	case PagingTRS:
		if p.page >= p.trsCount {
			return ""
		}
		return p.trsDir.ResolveReference(&url.URL{Path: p.trsStem + "_" + strconv.Itoa(p.page) + "." + p.trsExt}).String()
	case PagingJpaas:
		if p.lastYielded == 0 {
			return ""
		}
		u := *p.first
		q := u.Query()
		var pj map[string]any
		if json.Unmarshal([]byte(q.Get("paramJson")), &pj) != nil {
			return ""
		}
		pj["pageNo"] = p.page + 1
		b, _ := json.Marshal(pj)
		q.Set("paramJson", string(b))
		u.RawQuery = q.Encode()
		return u.String()
	case PagingParam:
		if p.lastYielded == 0 {
			return ""
		}
		u := *p.first
		q := u.Query()
		start, err := strconv.Atoi(q.Get(p.spec.PageParam))
		if err != nil {
			start = 1
		}
		q.Set(p.spec.PageParam, strconv.Itoa(start+p.page))
		u.RawQuery = q.Encode()
		return u.String()
	case PagingSelector, PagingNextLink:
		return p.nextLink(body, pageURL)
	}
	return ""
}

// nextLinkText is what a "next page" link reads on Chinese sites.
var nextLinkText = regexp.MustCompile(`^(下一页|下页|后页|下一頁|next|next page)\s*[>»›]*$`)

func (p *Pager) nextLink(body []byte, pageURL string) string {
	base, err := url.Parse(pageURL)
	if err != nil {
		return ""
	}
	var doc *goquery.Document
	if p.spec.Kind == KindJSON {
		return "" // a JSON list pages by page_param
	}
	doc, err = goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	var href string
	if p.spec.Next != nil {
		href = p.spec.Next.Value(doc.Selection)
	} else {
		doc.Find("a[href]").EachWithBreak(func(_ int, a *goquery.Selection) bool {
			if nextLinkText.MatchString(strings.ToLower(collapse(a.Text()))) {
				href, _ = a.Attr("href")
				return false
			}
			return true
		})
	}
	u, ok := resolve(base, href)
	if !ok {
		return ""
	}
	return u
}

var (
	trsStemRe  = regexp.MustCompile(`["'](\w+)["']\s*\+\s*["']_["']`)
	trsCountRe = regexp.MustCompile(`createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?\d+['"]?\s*,\s*['"]([\w-]+)['"]\s*,\s*['"](\w+)['"]|createPageHTML\(\s*['"]?(\d+)|countPage\s*=\s*['"]?(\d+)`)
)

func (p *Pager) learnTRS(body []byte) bool {
	m := trsCountRe.FindSubmatch(body)
	if m == nil {
		return false
	}
	stem, ext := "index", "html"
	n := 0
	switch {
	case len(m[1]) > 0:
		n, _ = strconv.Atoi(string(m[1]))
		stem, ext = string(m[2]), string(m[3])
	case len(m[4]) > 0:
		n, _ = strconv.Atoi(string(m[4]))
	default:
		n, _ = strconv.Atoi(string(m[5]))
	}
	if n < 1 {
		return false
	}
	// The pager script names the stem ("index"+"_"+i), else the list
	// URL's own file does (index.shtml); the URL's extension wins.
	scriptStem := len(m[1]) > 0
	if sm := trsStemRe.FindSubmatch(body); sm != nil {
		stem, scriptStem = string(sm[1]), true
	}
	dir := *p.first
	if last := path.Base(dir.Path); strings.Contains(last, ".") && !strings.HasSuffix(dir.Path, "/") {
		ext = strings.TrimPrefix(path.Ext(last), ".")
		if s := strings.TrimSuffix(last, path.Ext(last)); s != "" && !scriptStem {
			stem = s
		}
		dir.Path = strings.TrimSuffix(path.Dir(dir.Path), "/") + "/"
	} else if !strings.HasSuffix(dir.Path, "/") {
		dir.Path += "/"
	}
	dir.RawQuery, dir.Fragment = "", ""
	p.trsCount, p.trsStem, p.trsExt, p.trsDir = n, stem, ext, &dir
	return true
}

// hanwebParamRe reads "name: value", "name=value" or "name:'value'" as the
// jpage scripts and the nextgroup links write the column's ids.
var hanwebParamRe = regexp.MustCompile(`(?i)[?&{,\s'"](unitid|columnid|webid|path|webname|col|appid|sourcecontenttype|permissiontype)['"]?\s*[:=]\s*['"]?([^'",&}<>\s]*)`)

// hanwebParams reads every id in one pass: the first value of each name
// (lower-cased) wins.
func hanwebParams(body []byte) map[string]string {
	out := map[string]string{}
	for _, m := range hanwebParamRe.FindAllSubmatch(body, -1) {
		k := strings.ToLower(string(m[1]))
		if _, ok := out[k]; !ok {
			out[k] = string(m[2])
		}
	}
	return out
}

var (
	hanwebUnitRe  = regexp.MustCompile(`param_(\d+)\s*=`)
	hanwebTotalRe = regexp.MustCompile(`(?i)<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*:\s*['"]?(\d+)`)
	hanwebProxyRe = regexp.MustCompile(`proxyUrl\s*:\s*['"]([^'"]+)['"]`)
	hanwebPerRe   = regexp.MustCompile(`(?i)perPage\s*[:=]\s*['"]?(\d+)`)
)

func (p *Pager) learnHanweb(body []byte) bool {
	if !bytes.Contains(body, []byte("<datastore>")) {
		return false
	}
	v := url.Values{}
	params := hanwebParams(body)
	unit := params["unitid"]
	if m := hanwebUnitRe.FindSubmatch(body); m != nil && unit == "" {
		unit = string(m[1])
	}
	columnid := params["columnid"]
	if unit == "" || columnid == "" {
		return false
	}
	v.Set("unitid", unit)
	v.Set("columnid", columnid)
	for name, def := range map[string]string{"webid": "", "path": "/", "webname": "", "col": "1", "appid": "1",
		"sourceContentType": "1", "permissiontype": "0"} {
		val := params[strings.ToLower(name)]
		if dec, err := url.QueryUnescape(val); err == nil {
			val = dec
		}
		if val == "" {
			val = def
		}
		if val != "" {
			v.Set(name, val)
		}
	}
	p.hanweb = v
	if m := hanwebPerRe.FindSubmatch(body); m != nil {
		p.perPage, _ = strconv.Atoi(string(m[1]))
	}
	if p.perPage <= 0 {
		p.perPage = max(p.records, 1)
	}
	if m := hanwebTotalRe.FindSubmatch(body); m != nil {
		p.total, _ = strconv.Atoi(string(append(m[1], m[2]...)))
	}
	proxy := hanwebProxyPath
	if m := hanwebProxyRe.FindSubmatch(body); m != nil {
		proxy = string(m[1])
	}
	u, err := p.first.Parse(proxy)
	if err != nil {
		return false
	}
	p.first = u
	return true
}

func (p *Pager) nextHanweb() string {
	start := p.records + 1
	if p.lastYielded == 0 || (p.total > 0 && start > p.total) {
		return ""
	}
	end := start + p.perPage - 1
	if p.total > 0 {
		end = min(end, p.total)
	}
	q := url.Values{}
	for k, v := range p.hanweb {
		q[k] = v
	}
	q.Set("startrecord", strconv.Itoa(start))
	q.Set("endrecord", strconv.Itoa(end))
	q.Set("perpage", strconv.Itoa(p.perPage))
	u := *p.first
	u.RawQuery = q.Encode()
	return u.String()
}
