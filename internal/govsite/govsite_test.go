package govsite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// A small reader, just enough to show that the selectors in Columns (and
// README.md) read the fixtures right.

type fetched struct {
	status int
	header http.Header
	raw    []byte
	text   string // decoded to UTF-8 (header charset, else the page's meta)
	url    *url.URL
}

func fetch(t *testing.T, c *http.Client, s *Site, path string) fetched {
	t.Helper()
	if c == nil {
		c = s.Client()
	}
	resp, err := c.Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) fetched {
	t.Helper()
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", resp.Request.URL, err)
	}
	enc, _, _ := charset.DetermineEncoding(raw, resp.Header.Get("Content-Type"))
	text, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatalf("decode %s: %v", resp.Request.URL, err)
	}
	return fetched{resp.StatusCode, resp.Header, raw, string(text), resp.Request.URL}
}

func mustOK(t *testing.T, f fetched) {
	t.Helper()
	if f.status != http.StatusOK {
		t.Fatalf("%s: status %d", f.url, f.status)
	}
}

var space = regexp.MustCompile(`\s+`)

func collapse(s string) string { return strings.TrimSpace(space.ReplaceAllString(s, " ")) }

// value reads "css@attr" (an attribute) or "css" (the text) under sel.
func value(sel *goquery.Selection, spec string) string {
	css, attr := spec, ""
	if i := strings.LastIndex(spec, "@"); i >= 0 {
		css, attr = spec[:i], spec[i+1:]
	}
	el := sel.Find(css).First()
	if attr != "" {
		v, _ := el.Attr(attr)
		return strings.TrimSpace(v)
	}
	return collapse(el.Text())
}

var dateRe = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?(?:\s*(\d{1,2}):(\d{2}))?`)

// normDate gives "2006-01-02" or "2006-01-02 15:04" (UTC+8).
func normDate(s string) string {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).In(Now().Location()).Format("2006-01-02 15:04")
	}
	m := dateRe.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	d := fmt.Sprintf("%04d-%02d-%02d", n(1), n(2), n(3))
	if m[4] != "" {
		d += fmt.Sprintf(" %02d:%02d", n(4), n(5))
	}
	return d
}

// link resolves href against the page: a path for this site, else the URL.
func link(page *url.URL, href string) string {
	if href == "" || strings.HasPrefix(href, "javascript:") {
		return ""
	}
	u, err := page.Parse(href)
	if err != nil {
		return ""
	}
	if u.Host == page.Host {
		return u.RequestURI()
	}
	return u.String()
}

var recordRe = regexp.MustCompile(`(?s)<record><!\[CDATA\[(.*?)\]\]></record>`)

// entriesHTML applies the item/title/link/date selectors; Hanweb records are
// parsed one by one.
func entriesHTML(t *testing.T, f fetched, sel Selectors) []Entry {
	t.Helper()
	var roots []*goquery.Selection
	if recs := recordRe.FindAllStringSubmatch(f.text, -1); len(recs) > 0 {
		for _, r := range recs {
			roots = append(roots, doc(t, r[1]).Selection)
		}
	} else {
		roots = append(roots, doc(t, f.text).Selection)
	}
	var out []Entry
	for _, root := range roots {
		root.Find(sel.Item).Each(func(_ int, it *goquery.Selection) {
			e := Entry{Title: value(it, sel.Title), Link: link(f.url, value(it, sel.Link)), Date: normDate(value(it, sel.Date))}
			if e.Title != "" && e.Link != "" {
				out = append(out, e)
			}
		})
	}
	return out
}

func doc(t *testing.T, s string) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// jsonPath walks "a.b.c".
func jsonPath(v any, p string) any {
	for _, k := range strings.Split(p, ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func decodeJSON(t *testing.T, f fetched) any {
	t.Helper()
	var v any
	d := json.NewDecoder(strings.NewReader(f.text))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", f.url, err)
	}
	return v
}

// listPages fetches every list page of a column the way its CMS pages, and
// returns the entries its selectors read.
func listPages(t *testing.T, s *Site, name string, c Column) []Entry {
	t.Helper()
	var out []Entry
	switch name {
	case "hanweb", "hanweb-gbk":
		f := fetch(t, nil, s, c.Path)
		mustOK(t, f)
		out = entriesHTML(t, f, c.Select)
		p := hanwebParams(t, f.text)
		per, _ := strconv.Atoi(p["perPage"])
		total, _ := strconv.Atoi(p["totalRecord"])
		for start := per + 1; start <= total; start += per {
			q := url.Values{"startrecord": {strconv.Itoa(start)}, "endrecord": {strconv.Itoa(start + per - 1)}, "perpage": {p["perPage"]}}
			for _, k := range []string{"col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname", "permissiontype"} {
				q.Set(k, p[k])
			}
			f := fetch(t, nil, s, DataProxyPath+"?"+q.Encode())
			mustOK(t, f)
			out = append(out, entriesHTML(t, f, c.Select)...)
		}
	case "trs-gbk":
		f := fetch(t, nil, s, c.Path)
		mustOK(t, f)
		n := trsPages(t, f.text)
		out = entriesHTML(t, f, c.Select)
		for i := 1; i < n; i++ {
			f := fetch(t, nil, s, strings.TrimSuffix(c.Path, "index.html")+TRSPage(i))
			mustOK(t, f)
			out = append(out, entriesHTML(t, f, c.Select)...)
		}
	case "vsb":
		for path := c.Path; path != ""; {
			f := fetch(t, nil, s, path)
			mustOK(t, f)
			out = append(out, entriesHTML(t, f, c.Select)...)
			path = vsbNext(t, f)
		}
	case "jpaas":
		for n := 1; n <= c.Pages; n++ {
			f := fetch(t, nil, s, UnitQuery(n))
			mustOK(t, f)
			html, _ := jsonPath(decodeJSON(t, f), c.Select.HTML).(string)
			f.text = html
			out = append(out, entriesHTML(t, f, c.Select)...)
		}
	case "jsonlist":
		for n := 1; n <= c.Pages; n++ {
			f := fetch(t, nil, s, fmt.Sprintf("%s?page=%d", JSONListPath, n))
			mustOK(t, f)
			items, _ := jsonPath(decodeJSON(t, f), c.Select.Items).([]any)
			for _, it := range items {
				str := func(p string) string { v := jsonPath(it, p); return strings.TrimSpace(fmt.Sprint(v)) }
				href, _ := jsonPath(it, c.Select.Link).(string)
				e := Entry{Title: str(c.Select.Title), Link: link(f.url, href), Date: normDate(str(c.Select.Date))}
				if e.Title != "" && e.Link != "" {
					out = append(out, e)
				}
			}
		}
	case "cookie":
		jar, _ := cookiejar.New(nil)
		cl := &http.Client{Jar: jar}
		if f := fetch(t, cl, s, c.Path); f.status != http.StatusForbidden {
			t.Fatalf("cookie: first request: status %d, want 403", f.status)
		}
		f := fetch(t, cl, s, c.Path)
		mustOK(t, f)
		out = entriesHTML(t, f, c.Select)
	default:
		t.Fatalf("no reader for column %s", name)
	}
	return out
}

var (
	hanwebParamRe = regexp.MustCompile(`var param_(\d+)\s*=\s*\{([^}]*)\}`)
	jpageRe       = regexp.MustCompile(`\.jpage\(\{[^)]*?perPage:(\d+)[^)]*?totalRecord:(\d+)`)
	kvRe          = regexp.MustCompile(`(\w+)\s*:\s*(?:'([^']*)'|([^,\s}]+))`)
	countPageRe   = regexp.MustCompile(`createPageHTML\(\s*(\d+)|countPage\s*=\s*(\d+)`)
)

// hanwebParams reads the paging parameters a Hanweb column page carries.
func hanwebParams(t *testing.T, page string) map[string]string {
	t.Helper()
	m := hanwebParamRe.FindStringSubmatch(page)
	j := jpageRe.FindStringSubmatch(page)
	if m == nil || j == nil {
		t.Fatalf("no var param_… or .jpage({perPage, totalRecord}) in the page")
	}
	p := map[string]string{"perPage": j[1], "totalRecord": j[2]}
	for _, kv := range kvRe.FindAllStringSubmatch(m[2], -1) {
		p[kv[1]] = kv[2] + kv[3]
	}
	if p["unitid"] != m[1] {
		t.Fatalf("param_%s has unitid %q", m[1], p["unitid"])
	}
	return p
}

func trsPages(t *testing.T, page string) int {
	t.Helper()
	m := countPageRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no createPageHTML or countPage in the page")
	}
	n, _ := strconv.Atoi(m[1] + m[2])
	return n
}

// vsbNext follows the 下页 link (尾页 has class Next too).
func vsbNext(t *testing.T, f fetched) string {
	t.Helper()
	next := ""
	doc(t, f.text).Find("a.Next").Each(func(_ int, a *goquery.Selection) {
		if strings.TrimSpace(a.Text()) == "下页" {
			next = link(f.url, a.AttrOr("href", ""))
		}
	})
	return next
}

var qualityWords = regexp.MustCompile(`抽检|抽查|不合格|召回|缺陷|质量月|质量强|质量奖|计量|标准|认证|检验检测|假冒伪劣`)

func TestColumnsReadRight(t *testing.T) {
	s := New(t)
	cols := Columns()
	if len(cols) != 7 {
		t.Fatalf("%d columns", len(cols))
	}
	for name, c := range cols {
		t.Run(name, func(t *testing.T) {
			got, want := listPages(t, s, name, c), stripPub(c.Entries)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("entries read:\n%s\nwant:\n%s", dump(got), dump(want))
			}
			arts, err := loadArticles(name)
			if err != nil {
				t.Fatal(err)
			}
			byLink := map[string]*article{}
			for _, a := range arts {
				byLink[a.Link] = a
			}
			for _, e := range c.Entries {
				checkDetail(t, s, name, c, e, byLink[e.Link])
			}
			checkClasses(t, c, arts)
		})
	}
}

// stripPub drops PubDate, which lists do not give.
func stripPub(es []Entry) []Entry {
	out := make([]Entry, len(es))
	for i, e := range es {
		out[i] = Entry{Title: e.Title, Link: e.Link, Date: e.Date}
	}
	return out
}

func dump(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "  %s | %s | %s\n", e.Date, e.Link, e.Title)
	}
	return b.String()
}

func checkDetail(t *testing.T, s *Site, name string, c Column, e Entry, a *article) {
	t.Helper()
	var cl *http.Client
	if name == "cookie" {
		cl = s.Client()
		cl.Jar, _ = cookiejar.New(nil)
		fetch(t, cl, s, CookiePath)
	}
	f := fetch(t, cl, s, e.Link)
	mustOK(t, f)
	d := doc(t, f.text)
	body := collapse(d.Find(c.Select.Body).First().Text())
	for _, p := range a.Paras {
		if !strings.Contains(body, p) {
			t.Errorf("%s: body %q lacks paragraph %q", e.Link, c.Select.Body, p)
			break
		}
	}
	if l := utf8.RuneCountInString(a.Body()); l < 250 || l > 1200 {
		t.Errorf("%s: body of %d characters", e.Link, l)
	}
	if got := normDate(value(d.Selection, c.Select.DetailDate)); got != e.PubDate || got == "" {
		t.Errorf("%s: detail date %q, want %q", e.Link, got, e.PubDate)
	}
	if got := value(d.Selection, "meta[name=ArticleTitle]@content"); got != "" && got != e.Title {
		t.Errorf("%s: ArticleTitle %q, want %q", e.Link, got, e.Title)
	}
}

// checkClasses keeps the fixtures honest: quality titles or bodies say so,
// neutral titles do not, the others mention quality only as 高质量.
func checkClasses(t *testing.T, c Column, arts []*article) {
	t.Helper()
	quality, neutral := map[string]bool{}, map[string]bool{}
	for _, l := range c.Quality {
		quality[l] = true
	}
	for _, l := range c.Neutral {
		neutral[l] = true
		if !quality[l] {
			t.Errorf("%s neutral but not quality", l)
		}
	}
	for _, a := range arts {
		body := a.Body()
		switch {
		case a.Href == "-":
		case neutral[a.Link]:
			if qualityWords.MatchString(a.Title) || strings.Contains(a.Title, "质量") || !qualityWords.MatchString(body) {
				t.Errorf("neutral %s: title %q should be neutral, body about quality", a.Link, a.Title)
			}
		case quality[a.Link]:
			if !qualityWords.MatchString(a.Title + body) {
				t.Errorf("quality %s says nothing of quality", a.Link)
			}
		default:
			rest := strings.ReplaceAll(a.Title+body, "高质量", "")
			if qualityWords.MatchString(rest) || strings.Contains(rest, "质量") {
				t.Errorf("other %s (%s) speaks of quality", a.Link, a.Title)
			}
		}
	}
	if len(c.Quality) == 0 || len(c.Quality) == len(c.Entries) {
		t.Errorf("%d quality entries of %d: want a mix", len(c.Quality), len(c.Entries))
	}
}

func TestGBK(t *testing.T) {
	s := New(t)
	for _, tc := range []struct{ path, ctype, want string }{
		{"/col/col1234/index.html", "text/html", "泰安喆丰食品有限公司"},
		{Columns()["hanweb-gbk"].Entries[0].Link, "text/html", "泰安市市场监督管理局"},
		{"/zwgk/tzgg/index.html", "text/html; charset=GBK", "关于2026年第12期信息的通告"},
		{"/zwgk/tzgg/index_2.html", "text/html; charset=GBK", "塑料管材"},
		{"/zwgk/tzgg/202611/t20261130_8258621.shtml", "text/html; charset=GBK", "食品安全监督抽检"},
	} {
		f := fetch(t, nil, s, tc.path)
		mustOK(t, f)
		if got := f.header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ctype)
		}
		if utf8.Valid(f.raw) {
			t.Errorf("%s: body is valid UTF-8, want GBK", tc.path)
		}
		want, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(tc.want))
		if !bytes.Contains(f.raw, want) || !strings.Contains(f.text, tc.want) {
			t.Errorf("%s: no GBK %q", tc.path, tc.want)
		}
	}
	if f := fetch(t, nil, s, "/col/col1234/index.html"); !strings.Contains(f.text, `<meta charset="gb2312">`) {
		t.Error("hanweb-gbk page does not declare gb2312")
	}
	// Only the XML declaration names the encoding here: an HTML charset
	// sniffer (x/net/html/charset) misses it and decodes windows-1252.
	f := fetch(t, nil, s, DataProxyPath+"?page=1&webid=12&path=/&columnid=1234&unitid=6021&permissiontype=0")
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("泰安喆丰食品有限公司"))
	if utf8.Valid(f.raw) || f.header.Get("Content-Type") != "text/xml" || len(recordRe.FindAll(f.raw, -1)) != 8 ||
		!bytes.HasPrefix(f.raw, []byte(`<?xml version="1.0" encoding="GBK"?>`)) || !bytes.Contains(f.raw, gbk) {
		t.Errorf("hanweb-gbk dataproxy: %s\n%s", f.header.Get("Content-Type"), f.text)
	}
}

func TestHanwebPaging(t *testing.T) {
	s := New(t)
	page := fetch(t, nil, s, "/col/col76551/index.html")
	p := hanwebParams(t, page.text)
	for k, v := range map[string]string{"perPage": "15", "totalRecord": "33", "webid": "67", "columnid": "76551", "unitid": "445106", "path": "/"} {
		if p[k] != v {
			t.Errorf("page param %s = %q, want %q", k, p[k], v)
		}
	}
	if n := len(recordRe.FindAllString(page.text, -1)); n != 15 {
		t.Errorf("page 1 has %d records, want 15", n)
	}
	form := url.Values{"col": {"1"}, "appid": {"1"}, "webid": {"67"}, "path": {"/"}, "columnid": {"76551"},
		"sourceContentType": {"1"}, "unitid": {"445106"}, "webname": {"山东省市场监督管理局"}, "permissiontype": {"0"}}
	records := func(f fetched) int {
		t.Helper()
		if !strings.Contains(f.text, "<totalrecord>") {
			return -1
		}
		return len(recordRe.FindAllString(f.text, -1))
	}
	get := func(extra string) fetched { return fetch(t, nil, s, DataProxyPath+"?"+extra+"&"+form.Encode()) }
	if n := records(get("startrecord=16&endrecord=30&perpage=15")); n != 15 {
		t.Errorf("GET 16-30: %d records", n)
	}
	if n := records(get("startrecord=31&endrecord=45&perpage=15")); n != 3 {
		t.Errorf("GET 31-45: %d records, want 3", n)
	}
	if n := records(get("startrecord=1&endrecord=45&perpage=15")); n != 33 {
		t.Errorf("GET 1-45 (a jpage group of 3 pages): %d records, want 33", n)
	}
	if f, g := get("page=2"), get("startrecord=16&endrecord=30&perpage=15"); f.text != g.text {
		t.Error("page=2 differs from startrecord=16&endrecord=30")
	}
	resp, err := s.Client().PostForm(s.URL+DataProxyPath+"?startrecord=16&endrecord=30&perpage=15", form)
	if err != nil {
		t.Fatal(err)
	}
	if f := read(t, resp); records(f) != 15 || !strings.Contains(f.text, "<totalrecord>33</totalrecord>") {
		t.Errorf("POST 16-30: %d records:\n%s", records(f), f.text)
	}
	stub := get("startrecord=16&endrecord=35&perpage=20")
	if stub.status != http.StatusOK || !strings.Contains(stub.text, "csrf") || records(stub) != -1 {
		t.Errorf("perpage=20: want a 200 csrf stub, got %d %q", stub.status, stub.text)
	}
	wrong := form
	wrong.Set("unitid", "445107")
	if f := fetch(t, nil, s, DataProxyPath+"?startrecord=16&endrecord=30&perpage=15&"+wrong.Encode()); records(f) != 0 {
		t.Errorf("wrong unitid: %d records, want an empty datastore", records(f))
	}
	if f := fetch(t, nil, s, "/module/jpage/dataproxy.jsp?startrecord=16&endrecord=30&perpage=15&"+form.Encode()); f.status != http.StatusNotFound {
		t.Errorf("/module/jpage/dataproxy.jsp: status %d, want 404", f.status)
	}
}

func TestJPaaSPaging(t *testing.T) {
	s := New(t)
	shell := fetch(t, nil, s, "/zljds/jdcc/index.html")
	var content map[string]string
	doc(t, shell.text).Find(`script[parseType="bulidstatic"]`).Each(func(_ int, sc *goquery.Selection) {
		var q map[string]string
		// queryData uses single quotes: not JSON as it stands.
		if err := json.Unmarshal([]byte(strings.ReplaceAll(sc.AttrOr("querydata", ""), "'", `"`)), &q); err != nil {
			t.Fatalf("queryData: %v", err)
		}
		if sc.AttrOr("url", "") != UnitPath {
			t.Errorf("script url %q", sc.AttrOr("url", ""))
		}
		if q["tagId"] == "内容区域" {
			content = q
		}
	})
	if content == nil || content["webId"] != jpaasWebID || content["pageId"] != jpaasPageID || content["tplSetId"] != jpaasTplSetID {
		t.Fatalf("内容区域 queryData: %v", content)
	}
	htmlOf := func(path string) string {
		f := fetch(t, nil, s, path)
		if ct := f.header.Get("Content-Type"); ct != "text/html;charset=UTF-8" {
			t.Errorf("Content-Type %q", ct)
		}
		v := decodeJSON(t, f)
		h, _ := jsonPath(v, "data.html").(string)
		return h
	}
	p1, p2 := htmlOf(UnitQuery(1)), htmlOf(UnitQuery(2))
	if p1 == "" || p2 == "" || p1 == p2 {
		t.Fatal("pageNo 1 and 2 in paramJson should give two different lists")
	}
	bare := strings.Replace(UnitQuery(1), "paramJson=", "pageNo=2&x=", 1)
	if got := htmlOf(bare); got != p1 {
		t.Error("a bare pageNo should be ignored (page 1 again)")
	}
	if got := htmlOf(UnitQuery(3)); strings.Contains(got, "content-3-left-text") {
		t.Error("page 3 should have no items")
	}
	f := fetch(t, nil, s, strings.Replace(UnitQuery(1), "tagId=", "tagId=x", 1))
	if v := decodeJSON(t, f); jsonPath(v, "success") != false || jsonPath(v, "data.html") != nil {
		t.Errorf("a wrong tagId: %s", f.text)
	}
}

func TestTRSPager(t *testing.T) {
	s := New(t)
	f := fetch(t, nil, s, "/zwgk/tzgg/index.html")
	for _, want := range []string{`createPageHTML(3, 0, "index", "html")`, "var countPage = 3"} {
		if !strings.Contains(f.text, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	if f := fetch(t, nil, s, "/zwgk/tzgg/index_2.html"); !strings.Contains(f.text, `createPageHTML(3, 2, "index", "html")`) {
		t.Error("index_2.html: wrong pager")
	}
	if f := fetch(t, nil, s, "/zwgk/tzgg/index_3.html"); f.status != http.StatusNotFound {
		t.Errorf("index_3.html: %d, want 404", f.status)
	}
	if f := fetch(t, nil, s, "/zwgk/tzgg/"); !strings.Contains(f.text, "category-list") {
		t.Error("/zwgk/tzgg/ should serve index.html")
	}
	// A naive selector reads the clutter too.
	naive := entriesHTML(t, f, Selectors{Item: "li", Title: "a@title", Link: "a@href", Date: "span"})
	if len(naive) <= 8 {
		t.Errorf("naive li selector: %d entries, the page has clutter that should fool it", len(naive))
	}
	d := fetch(t, nil, s, "/zwgk/tzgg/202611/t20261130_8258621.shtml")
	if wrap := doc(t, d.text).Find("div.content").First().Text(); !strings.Contains(wrap, "您当前的位置") {
		t.Error("a naive div.content should take the page wrapper")
	}
}

func TestVSBPager(t *testing.T) {
	s := New(t)
	var seen []string
	for path := "/list.htm"; path != ""; {
		seen = append(seen, path)
		f := fetch(t, nil, s, path)
		mustOK(t, f)
		path = vsbNext(t, f)
	}
	if want := []string{"/list.htm", "/list/2.htm", "/list/1.htm"}; !reflect.DeepEqual(seen, want) {
		t.Errorf("pages %v, want %v", seen, want)
	}
	alt := Columns()["vsb"]
	alt.Select.Item = "li[id^=line_u8_]"
	if got := listPages(t, s, "vsb", alt); !reflect.DeepEqual(got, stripPub(alt.Entries)) {
		t.Errorf("li[id^=line_u8_] reads %d entries", len(got))
	}
	if f := fetch(t, nil, s, "/list/3.htm"); f.status != http.StatusNotFound {
		t.Errorf("/list/3.htm: %d", f.status)
	}
}

func TestJSONList(t *testing.T) {
	s := New(t)
	var urls []any
	var times []any
	for n, want := range []int{15, 10, 0} {
		f := fetch(t, nil, s, fmt.Sprintf("/api/list?page=%d", n+1))
		v := decodeJSON(t, f)
		list, _ := jsonPath(v, "data.list").([]any)
		if len(list) != want || fmt.Sprint(jsonPath(v, "data.total")) != "25" {
			t.Errorf("page %d: %d items, total %v", n+1, len(list), jsonPath(v, "data.total"))
		}
		for _, it := range list {
			urls = append(urls, jsonPath(it, "url"))
			times = append(times, jsonPath(it, "publishTime"))
		}
	}
	var missing, abs, epoch int
	for i, u := range urls {
		switch u := u.(type) {
		case nil:
			missing++
		case string:
			if strings.HasPrefix(u, s.URL) {
				abs++
			}
		}
		if _, ok := times[i].(json.Number); ok {
			epoch++
		}
	}
	if missing != 1 || abs != 1 || epoch != 1 {
		t.Errorf("want one item without url, one absolute, one epoch date: %d, %d, %d", missing, abs, epoch)
	}
}

func TestWAF(t *testing.T) {
	s := New(t)
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	for i := 0; i < 2; i++ { // the cookie alone does not get through
		f := fetch(t, cl, s, WAFPath)
		if f.status != http.StatusPreconditionFailed || !strings.Contains(f.text, "$_ts") || f.header.Get("Set-Cookie") == "" || len(f.raw) >= 500 {
			t.Errorf("try %d: status %d, %d bytes, Set-Cookie %q", i, f.status, len(f.raw), f.header.Get("Set-Cookie"))
		}
	}
}

func TestCookiePreflight(t *testing.T) {
	s := New(t)
	detail := Columns()["cookie"].Entries[0].Link
	if f := fetch(t, nil, s, detail); f.status != http.StatusForbidden {
		t.Errorf("detail without cookie: %d", f.status)
	}
	f := fetch(t, nil, s, CookiePath)
	if f.status != http.StatusForbidden || !strings.HasPrefix(f.header.Get("Set-Cookie"), CookieName+"=") {
		t.Fatalf("first request: %d, Set-Cookie %q", f.status, f.header.Get("Set-Cookie"))
	}
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	fetch(t, cl, s, CookiePath)
	if f := fetch(t, cl, s, CookiePath); f.status != http.StatusOK || !strings.Contains(f.text, "boxl_ul") {
		t.Errorf("with the cookie: %d", f.status)
	}
	if f := fetch(t, cl, s, detail); f.status != http.StatusOK {
		t.Errorf("detail with the cookie: %d", f.status)
	}
}

func TestRequestsAndHits(t *testing.T) {
	s := New(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := s.Client().Get(s.URL + "/api/list?page=2")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
			}
			_ = s.Requests("/api/list")
			_ = s.Hits()
		}()
	}
	wg.Wait()
	fetch(t, nil, s, "/list.htm")
	fetch(t, nil, s, "/nowhere")
	if n := s.Requests("/api/list"); n != 8 {
		t.Errorf("Requests(/api/list) = %d", n)
	}
	hits := s.Hits()
	if len(hits) != 10 || hits[0] != "/api/list?page=2" || hits[8] != "/list.htm" || hits[9] != "/nowhere" {
		t.Errorf("hits %v", hits)
	}
	if s.Requests("/nowhere") != 1 || s.Requests("/list/1.htm") != 0 {
		t.Error("counts of other paths")
	}
}

func TestFixturesParse(t *testing.T) {
	for _, bad := range []string{"text\n== /a\n", "== /a\nnokey\n", "== /a\ntitle: t\n\np\n", "== /a\npage: x\n"} {
		if _, err := parseArticles("x", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	seen := map[string]string{}
	for name, c := range Columns() {
		for _, e := range c.Entries {
			if prev, ok := seen[e.Link]; ok {
				t.Errorf("%s in %s and %s", e.Link, prev, name)
			}
			seen[e.Link] = name
			if !strings.HasPrefix(e.Date, "2026-1") || e.PubDate == "" {
				t.Errorf("%s: dates %q %q", e.Link, e.Date, e.PubDate)
			}
			if d, _ := time.ParseInLocation("2006-01-02", e.Date[:10], Now().Location()); !d.Before(Now()) {
				t.Errorf("%s: date %s not before Now", e.Link, e.Date)
			}
		}
	}
}
