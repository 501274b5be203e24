// Package govsite is a fake Chinese government web site for tests: the list
// pages and notices of the CMS families qualitywatch reads (Hanweb JCMS in
// UTF-8 and GBK, TRS WCM in GBK, VSB/博达, a jpaas build/unit API, a JSON
// list API), plus a WAF challenge and a cookie pre-flight. Its pages carry the
// clutter of real ones (menus, 热点 and 友情链接 lists, scripts) and its paging
// APIs the traps of real ones. Fixtures are under site/; Columns says what a
// correct reader yields from each column. README.md has the selectors.
package govsite

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Paths of the site's APIs and special pages.
const (
	DataProxyPath = "/module/web/jpage/dataproxy.jsp" // Hanweb paging
	UnitPath      = "/api-gateway/jpaas-publish-server/front/page/build/unit"
	JSONListPath  = "/api/list"
	WAFPath       = "/waf/index.html"    // 412 + $_ts, always
	CookiePath    = "/cookie/index.html" // 403 + Set-Cookie until the cookie comes back
	CookieName    = "sid"
	cookieValue   = "d41f8a3c9e2b7a60"
)

// jpaas ids of the 产品质量国家监督抽查 column, as its shell page gives them.
const (
	jpaasWebID    = "29e9522dc89d4e088a953d8cede72f4c"
	jpaasPageID   = "c50b450d9afa44e2a7f83f0c2a0c5ffc"
	jpaasTplSetID = "5c30fb89ae5e48b9aefe3cdf49853830"
	jpaasTag      = "内容区域"
	jpaasHotTag   = "右侧热点"
	hanwebPerPage = 15
	jsonPerPage   = 15
)

// Site is an httptest server serving a fake bureau's columns.
type Site struct {
	*httptest.Server
	origin  string
	cols    map[string]*column
	lists   map[string]listRef
	details map[string]detailRef

	mu     sync.Mutex
	hits   []string
	counts map[string]int
}

type listRef struct {
	col  *column
	page int
	up   string
}

type detailRef struct {
	col *column
	art *article
}

// New starts the site; it is closed when the test ends.
func New(t testing.TB) *Site {
	t.Helper()
	s := &Site{cols: map[string]*column{}, lists: map[string]listRef{}, details: map[string]detailRef{}, counts: map[string]int{}}
	for _, c := range []struct {
		name, ctype string
		gbk         bool
	}{
		{"hanweb", "text/html;charset=UTF-8", false},
		{"hanweb-gbk", "text/html", true}, // the page's <meta charset="gb2312"> is all a reader gets
		{"trs-gbk", "text/html; charset=GBK", true},
		{"vsb", "text/html", false},
		{"jpaas", "text/html;charset=UTF-8", false},
		{"jsonlist", "text/html; charset=utf-8", false},
		{"cookie", "text/html; charset=UTF-8", false},
	} {
		col, err := loadColumn(c.name, c.gbk, c.ctype)
		if err != nil {
			t.Fatalf("govsite: %v", err)
		}
		s.cols[c.name] = col
		for _, a := range col.arts {
			s.details[a.Link] = detailRef{col, a}
		}
	}
	s.list("hanweb", 1, "/col/col76551/index.html", "")
	s.list("hanweb-gbk", 1, "/col/col1234/index.html", "")
	s.list("jpaas", 1, "/zljds/jdcc/index.html", "")
	s.list("cookie", 1, "/cookie/", "")
	s.list("cookie", 1, CookiePath, "")
	s.list("trs-gbk", 1, "/zwgk/tzgg/", "")
	trs, vsb := s.cols["trs-gbk"], s.cols["vsb"]
	for p := 1; p <= trs.pages; p++ {
		s.list("trs-gbk", p, "/zwgk/tzgg/"+TRSPage(p-1), "")
	}
	s.list("vsb", 1, "/list.htm", "")
	for p := 2; p <= vsb.pages; p++ { // VSB counts down: page 2 of 3 is list/2.htm, page 3 list/1.htm
		s.list("vsb", p, fmt.Sprintf("/list/%d.htm", vsb.pages-p+1), "../")
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.origin = "http://" + srv.Listener.Addr().String()
	srv.Start()
	s.Server = srv
	t.Cleanup(srv.Close)
	return s
}

// TRSPage is the file name of TRS list page i (0-based): index.html, index_1.html, ...
func TRSPage(i int) string {
	if i == 0 {
		return "index.html"
	}
	return fmt.Sprintf("index_%d.html", i)
}

func (s *Site) list(col string, page int, path, up string) {
	s.lists[path] = listRef{s.cols[col], page, up}
}

// Requests returns how many requests path (without query) got.
func (s *Site) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// Hits returns every request URL (path and query) in order.
func (s *Site) Hits() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.hits...)
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts[r.URL.Path]++
	s.hits = append(s.hits, r.URL.RequestURI())
	s.mu.Unlock()

	p := r.URL.Path
	switch {
	case p == DataProxyPath:
		s.dataproxy(w, r)
	case p == UnitPath:
		s.unit(w, r)
	case p == JSONListPath:
		s.jsonList(w, r)
	case strings.HasPrefix(p, "/waf/"):
		s.waf(w)
	case strings.HasPrefix(p, "/cookie/") && !hasCookie(r):
		s.preflight(w)
	default:
		if l, ok := s.lists[p]; ok {
			s.page(w, l.col, "list.html", listData{Page: l.page, Index: l.page - 1, Pages: l.col.pages,
				Total: len(l.col.arts), Items: l.col.onPage(l.page), Up: l.up})
		} else if d, ok := s.details[p]; ok {
			s.page(w, d.col, "detail.html", d.art)
		} else {
			send(w, http.StatusNotFound, "text/html; charset=UTF-8", []byte(notFound))
		}
	}
}

const notFound = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>404</title></head>` +
	`<body><div class="error"><h1>404</h1><p>抱歉，您访问的页面不存在或已删除！</p><a href="/">返回首页</a></div></body></html>`

func (s *Site) page(w http.ResponseWriter, c *column, tmpl string, data any) {
	b, err := c.render(tmpl, data, s.origin)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, http.StatusOK, c.ctype, b)
}

func send(w http.ResponseWriter, status int, ctype string, body []byte) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
