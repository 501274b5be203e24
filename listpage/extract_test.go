package listpage_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/listpage"
)

var (
	cstZone, _ = time.LoadLocation("Asia/Shanghai")
	readAt     = time.Date(2026, 12, 1, 9, 0, 0, 0, cstZone)
	opts       = listpage.Options{Location: cstZone, Now: readAt}
)

func compile(t *testing.T, kind string, s listpage.Select) *listpage.Spec {
	t.Helper()
	spec, err := listpage.Compile(kind, s, "")
	if err != nil {
		t.Fatalf("compile %+v: %v", s, err)
	}
	return spec
}

type want struct{ title, link, date string }

func checkEntries(t *testing.T, got []listpage.Entry, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		for _, e := range got {
			t.Logf("got %q %s %s", e.Title, e.Link, e.Date)
		}
		t.Fatalf("%d entries, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		e := got[i]
		if e.Title != w.title || e.Link != w.link {
			t.Errorf("entry %d = %q %s, want %q %s", i, e.Title, e.Link, w.title, w.link)
		}
		d := ""
		if !e.Date.IsZero() {
			d = e.Date.UTC().Format(time.RFC3339)
		}
		if d != w.date {
			t.Errorf("entry %d date = %q, want %q", i, d, w.date)
		}
	}
}

// A Hanweb column keeps its entries in a script datastore, beside a
// navigation menu of li links that a naive "li" would take.
const hanwebPage = `<html><head><meta charset="utf-8"></head><body>
<ul class="nav"><li><a href="/col/col1/index.html">首页</a></li><li><a href="/col/col2/index.html">机构概况</a></li></ul>
<div id="445106"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=67&path=/&columnid=76551&unitid=445106&webname=%E5%B1%B1%E4%B8%9C&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[
<li><a href="/art/2026/11/30/art_76551_9002.html" title="山东省市场监督管理局关于12批次食品不合格情况的通告">山东省市场监督管理局关于12批次食品…</a><span>2026-11-30</span></li>
]]></record>
<record><![CDATA[
<li><a href="./art_76551_9001.html#top" title="关于2026年第11期信息的通告">关于2026年第11期信息的通告</a><span>[2026-11-28]</span></li>
]]></record>
<record><![CDATA[<li><span>2026-11-27</span></li>]]></record>
</recordset></datastore></script></div>
<script>var param_445106 = {col:1, appid:1, webid:67, path:'/', columnid:76551, sourceContentType:1, unitid:445106, webname:'山东省市场监督管理局', permissiontype:0};
$('#445106').jpage({dataStore: dataStore, perPage: 15, totalRecord: 33, proxyUrl: '/module/web/jpage/dataproxy.jsp'});</script>
<ul class="links"><li><a href="http://www.gov.cn/">中国政府网</a></li></ul>
</body></html>`

func TestExtractHanwebRecordsAlone(t *testing.T) {
	spec := compile(t, "html", listpage.Select{Item: "li", Title: "a@title", Link: "a@href", Date: "span"})
	page, err := spec.Extract([]byte(hanwebPage), "http://amr.example.gov.cn/col/col76551/index.html", opts)
	if err != nil {
		t.Fatal(err)
	}
	if page.Records != 3 || page.Matched != 3 || page.Skipped != 1 {
		t.Errorf("records %d matched %d skipped %d, want 3 3 1", page.Records, page.Matched, page.Skipped)
	}
	checkEntries(t, page.Entries, []want{
		{"山东省市场监督管理局关于12批次食品不合格情况的通告", "http://amr.example.gov.cn/art/2026/11/30/art_76551_9002.html", "2026-11-29T16:00:00Z"},
		{"关于2026年第11期信息的通告", "http://amr.example.gov.cn/col/col76551/art_76551_9001.html", "2026-11-27T16:00:00Z"},
	})
	pager := spec.Pager("http://amr.example.gov.cn/col/col76551/index.html")
	next := pager.Next([]byte(hanwebPage), "http://amr.example.gov.cn/col/col76551/index.html", page)
	if pager.Family() != listpage.PagingHanweb {
		t.Fatalf("paging %q", pager.Family())
	}
	for _, part := range []string{"/module/web/jpage/dataproxy.jsp?", "startrecord=4", "endrecord=18", "perpage=15", "unitid=445106", "columnid=76551", "webid=67"} {
		if !strings.Contains(next, part) {
			t.Errorf("next page %s lacks %s", next, part)
		}
	}
}

func TestExtractHTMLList(t *testing.T) {
	page := `<html><head><base href="http://site.example/zwgk/tzgg/"></head><body>
<ul class="menu"><li><a href="/">首页</a></li><li><a href="javascript:void(0)">更多信息公开内容</a></li></ul>
<ul class="category-list">
 <li><a href="./202611/t20261130_1.shtml" title="青岛市市场监督管理局关于产品质量监督抽查结果的通告">青岛市市场监督管理局关于产品质量…</a><span>[2026-11-30]</span></li>
 <li><a href="../gggs/202611/t20261129_2.shtml">关于开展2026年质量月活动的通知 2026-11-29</a><span>2026年11月29日 10:20</span></li>
 <li><a href="https://SITE.example/zwgk/tzgg/202611/t20261128_3.shtml?x=1#p">人事任免公示</a><span>11-28</span></li>
 <li><a href="./202611/t20261127_4.shtml">没有日期的条目</a><span>未知</span></li>
 <li><a href="./202612/t20271127_5.shtml">来自未来的条目</a><span>2027-11-27</span></li>
</ul></body></html>`
	spec := compile(t, "html", listpage.Select{Item: "ul.category-list li", Date: "span"})
	got, err := spec.Extract([]byte(page), "http://site.example/other/", opts)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, got.Entries, []want{
		{"青岛市市场监督管理局关于产品质量监督抽查结果的通告", "http://site.example/zwgk/tzgg/202611/t20261130_1.shtml", "2026-11-29T16:00:00Z"},
		// No title attribute: the text, its glued date trimmed; the list's time kept.
		{"关于开展2026年质量月活动的通知", "http://site.example/zwgk/gggs/202611/t20261129_2.shtml", "2026-11-29T02:20:00Z"},
		{"人事任免公示", "https://site.example/zwgk/tzgg/202611/t20261128_3.shtml?x=1", "2026-11-27T16:00:00Z"},
		// The list's date does not read: the URL's.
		{"没有日期的条目", "http://site.example/zwgk/tzgg/202611/t20261127_4.shtml", "2026-11-26T16:00:00Z"},
		// A date a year ahead is set aside, not replaced by now.
		{"来自未来的条目", "http://site.example/zwgk/tzgg/202612/t20271127_5.shtml", ""},
	})
	if got.Entries[4].FutureDate == "" {
		t.Error("future date not reported")
	}
}

func TestExtractLayoutErrors(t *testing.T) {
	page := []byte(`<html><body><ul class="list"><li><a href="/a.html">第一条通知内容</a><em>昨天</em></li></ul><div class="nav"><a href="/">首页</a></div></body></html>`)
	tests := []struct {
		name string
		sel  listpage.Select
		key  string
		msg  string
	}{
		{"item matches nothing", listpage.Select{Item: "li.x"}, "select.item", `select.item "li.x" matched nothing on http://s.example/`},
		{"no links", listpage.Select{Item: "ul.list li", Link: "b@href"}, "select.link", `select.link "b@href" found no link`},
		{"no date reads", listpage.Select{Item: "ul.list li", Date: "em"}, "select.date", `select.date "em" read no date in 1 entries (first read: "昨天")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := compile(t, "html", tt.sel)
			got, err := spec.Extract(page, "http://s.example/", opts)
			var le *listpage.LayoutError
			if !errors.As(err, &le) || le.Key != tt.key || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want a layout error on %s containing %q", err, tt.key, tt.msg)
			}
			if tt.key == "select.date" && len(got.Entries) != 1 {
				t.Errorf("a date problem still gives the entries: %d", len(got.Entries))
			}
		})
	}
}

func TestExtractJSON(t *testing.T) {
	list := `{"code":0,"data":{"list":[
 {"title":"关于2026年第5期食品安全监督抽检信息的通告","url":"/xxgk/2026/11/30/123.html","publishTime":"2026-11-30 09:00:00"},
 {"title":"召回公告","url":"https://other.example/r/1.html","publishTime":1764460800000},
 {"title":"无链接","publishTime":"2026-11-28"}
]}}`
	spec := compile(t, "json", listpage.Select{Items: "data.list", Title: "title", Link: "url", Date: "publishTime"})
	got, err := spec.Extract([]byte(list), "http://api.example/api/list?page=1", opts)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, got.Entries, []want{
		{"关于2026年第5期食品安全监督抽检信息的通告", "http://api.example/xxgk/2026/11/30/123.html", "2026-11-30T01:00:00Z"},
		{"召回公告", "https://other.example/r/1.html", "2025-11-30T00:00:00Z"},
	})
	if got.Skipped != 1 {
		t.Errorf("skipped %d, want the entry without a link", got.Skipped)
	}
	// JSONP and a wrong path.
	if _, err := spec.Extract([]byte("cb("+list+");"), "http://api.example/", opts); err != nil {
		t.Errorf("jsonp: %v", err)
	}
	bad := compile(t, "json", listpage.Select{Items: "data.rows", Title: "title", Link: "url"})
	if _, err := bad.Extract([]byte(list), "http://api.example/", opts); err == nil || !strings.Contains(err.Error(), `select.items "data.rows" found no list`) {
		t.Errorf("wrong items path: %v", err)
	}
}

func TestExtractJpaasFragment(t *testing.T) {
	body := `{"success":true,"data":{"html":"<ul><li class=\"content-3-left-text\"><a href=\"/zljds/jdcc/art/2026/art_0123456789abcdef0123456789abcdef.html\">市场监管总局关于2026年产品质量国家监督抽查情况的通告</a><div class=\"contentRight01time\">2026-11-30</div></li></ul>"}}`
	spec := compile(t, "json", listpage.Select{HTML: "data.html", Item: "li.content-3-left-text", Title: "a", Link: "a@href", Date: "div.contentRight01time"})
	got, err := spec.Extract([]byte(body), "https://www.samr.example/api-gateway/jpaas-publish-server/front/page/build/unit?paramJson=%7B%22pageNo%22%3A1%7D", opts)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, got.Entries, []want{{"市场监管总局关于2026年产品质量国家监督抽查情况的通告",
		"https://www.samr.example/zljds/jdcc/art/2026/art_0123456789abcdef0123456789abcdef.html", "2026-11-29T16:00:00Z"}})
	pager := spec.Pager("https://www.samr.example/api-gateway/jpaas-publish-server/front/page/build/unit?paramJson=%7B%22pageNo%22%3A1%2C%22pageSize%22%3A10%7D")
	next := pager.Next([]byte(body), "", got)
	if !strings.Contains(next, "pageNo%22%3A2") {
		t.Errorf("next jpaas page %s: pageNo should be 2 inside paramJson", next)
	}
	if _, err := spec.Extract([]byte(`{"success":true,"data":{}}`), "https://www.samr.example/", opts); err == nil ||
		!strings.Contains(err.Error(), `select.html "data.html" found no HTML fragment`) {
		t.Errorf("no data.html: %v", err)
	}
}

func TestCompileErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		kind string
		sel  listpage.Select
		want []string
	}{
		{"html", listpage.Select{Item: "li[", Title: "a@title", Link: ":nope(x)@href"}, []string{`select.item: "li[" is not a CSS selector`, `select.link: ":nope(x)" is not a CSS selector`}},
		{"html", listpage.Select{}, []string{"select.item: required"}},
		{"html", listpage.Select{Item: "li", Items: "data"}, []string{"select.items: only for type json"}},
		{"json", listpage.Select{Items: "data..list", Title: "t"}, []string{`select.items: "data..list" is not a JSON path`, "select.link: required"}},
		{"json", listpage.Select{HTML: "data.html"}, []string{"select.item: required"}},
		{"json", listpage.Select{HTML: "data.html", Items: "x", Item: "li"}, []string{"select.items: give select.html"}},
	}
	for _, tt := range tests {
		_, err := listpage.Compile(tt.kind, tt.sel, "")
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s %+v: error %v lacks %q", tt.kind, tt.sel, err, w)
			}
		}
	}
}

// The real TRS pages in ../shared (third-party; skipped when absent).
func sharedPage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "shared", "data", "pages", name))
	if err != nil {
		t.Skipf("../shared/data/pages/%s not available: %v", name, err)
	}
	return b
}

func TestRealTRSList(t *testing.T) {
	body := sharedPage(t, "trs-list.html")
	const at = "http://hdzfxxgk.hd.gov.cn/zfwj/jinqixxgk/"
	spec := compile(t, "html", listpage.Select{Item: "table tr", Title: "td a@title", Link: "td a@href", Date: "td:nth-child(4)"})
	page, err := spec.Extract(body, at, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, page.Entries, []want{{"邯郸市教育局关于印发《邯郸市学校安全工作目标管理考核办法》的通知",
		"http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200805_1353179.html", "2020-08-04T16:00:00Z"}})
	// countPage=56 in the pager script: index_1.html … index_55.html.
	pager := spec.Pager(at)
	var last string
	next := pager.Next(body, at, page)
	for n := 1; next != ""; n++ {
		last = next
		if n == 1 && next != at+"index_1.html" {
			t.Errorf("page 2 = %s", next)
		}
		next = pager.Next(body, next, page)
	}
	if last != at+"index_55.html" {
		t.Errorf("last page = %s, want index_55.html (countPage 56)", last)
	}
}

func TestRealTRSHome(t *testing.T) {
	body := sharedPage(t, "trs-home.html")
	spec := compile(t, "html", listpage.Select{Item: "ul.sx-c1-list li", Title: "a", Link: "a@href", Date: "span"})
	page, err := spec.Extract(body, "http://hdzfxxgk.hd.gov.cn/", opts)
	if err != nil {
		t.Fatal(err)
	}
	if page.Skipped == 0 {
		t.Error("the row without a link should be skipped")
	}
	for _, e := range page.Entries {
		if strings.Contains(e.Link, "t20200205_1244988") && e.Date.In(cstZone).Format("2006-01-02") != "2020-01-23" {
			t.Errorf("list date should win over the URL's: %s", e.Date)
		}
	}
	if len(page.Entries) < 4 {
		t.Errorf("%d entries", len(page.Entries))
	}
}

func TestRealTRSDetail(t *testing.T) {
	body := sharedPage(t, "trs-detail.html")
	d, err := listpage.CompileDetail(listpage.DetailSelect{Body: "div.TRS_Editor"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Extract(body, "http://hdzfxxgk.hd.gov.cn/gszbm/auto23716/202008/t20200802_1352104.html", opts)
	if err != nil {
		t.Fatal(err)
	}
	if got.BodyHTML != "" || !strings.Contains(got.Note, `detail.body "div.TRS_Editor" matched nothing`) {
		t.Errorf("body %q note %q: want empty body and a note", got.BodyHTML, got.Note)
	}
	if got.Date.In(cstZone).Format("2006-01-02 15:04") != "2020-08-02 00:00" || got.DateFrom != "meta PubDate" {
		t.Errorf("date %s from %q, want 2020-08-02 from the PubDate meta", got.Date, got.DateFrom)
	}
	if got.Title == "" {
		t.Error("ArticleTitle not read")
	}
}
