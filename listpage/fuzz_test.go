package listpage_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/listpage"
)

// fuzzSpecs are select blocks of each shape, run on every fuzzed page.
func fuzzSpecs(t testing.TB) []*listpage.Spec {
	t.Helper()
	var out []*listpage.Spec
	for _, c := range []struct {
		kind string
		sel  listpage.Select
	}{
		{"html", listpage.Select{Item: "li", Title: "a@title", Link: "a@href", Date: "span"}},
		{"html", listpage.Select{Item: "table tr", Title: "td a", Link: "td a@href", Date: "td:nth-child(4)"}},
		{"html", listpage.Select{Item: "a", Title: "@title", Link: "@href", Next: "a.next"}},
		{"json", listpage.Select{HTML: "data.html", Item: "li", Date: "div"}},
		{"json", listpage.Select{Items: "data.list", Title: "title", Link: "url", Date: "publishTime"}},
		{"json", listpage.Select{Items: ".", Title: "t", Link: "u[0]", Date: "d.0"}},
	} {
		s, err := listpage.Compile(c.kind, c.sel, "")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func seedPages(f *testing.F) {
	for _, s := range []string{
		hanwebPage,
		`<html><body><ul class="category-list"><li><a href="./202611/t20261130_1.shtml" title="通告">通告</a><span>[2026-11-30]</span></li></ul><script>createPageHTML(3, 0, "index", "html");</script></body></html>`,
		`{"success":true,"data":{"html":"<li><a href=\"/a.html\">抽检</a><div>2026-11-30</div></li>"}}`,
		`{"code":0,"data":{"list":[{"title":"召回","url":"/r/1.html","publishTime":1764460800000}]}}`,
		`cb([{"t":"x","u":["//h/x"],"d":["11-30"]}]);`,
		`<datastore><totalrecord>3</totalrecord><recordset><record><![CDATA[<li><a href="/a">a</a></li>]]></record></recordset></datastore>`,
		`<a href="list/2.htm" class="Next">下页</a><base href="http://x/">`,
	} {
		f.Add([]byte(s), "http://site.example/col/index.html")
	}
}

// FuzzExtract reads arbitrary pages with every shape of select block: it
// never panics, every entry has a title, an absolute http(s) link without
// fragment, valid UTF-8, and no date ahead of the time of reading; the
// pager ends.
func FuzzExtract(f *testing.F) {
	seedPages(f)
	specs := fuzzSpecs(f)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, pageURL string) {
		if !utf8.Valid(body) {
			return // pages are decoded to UTF-8 before they are read
		}
		for _, spec := range specs {
			page, _ := spec.Extract(body, pageURL, listpage.Options{Now: now})
			for _, e := range page.Entries {
				if e.Title == "" || !strings.HasPrefix(e.Link, "http") || strings.Contains(e.Link, "#") {
					t.Fatalf("bad entry %+v", e)
				}
				if !utf8.ValidString(e.Title) {
					t.Fatalf("title not UTF-8: %q", e.Title)
				}
				if e.Date.After(now.Add(24 * time.Hour)) {
					t.Fatalf("date %s ahead of now", e.Date)
				}
			}
			if page.Skipped > page.Matched || len(page.Entries) != page.Matched-page.Skipped {
				t.Fatalf("counts: %+v", page)
			}
			pager := spec.Pager(pageURL)
			for i := 0; pager.Next(body, pageURL, page) != ""; i++ {
				if i > 100 {
					t.Fatal("pager does not end")
				}
			}
		}
	})
}

// FuzzProbe proposes sources for arbitrary pages without panicking; a
// proposal it returns without error compiles.
func FuzzProbe(f *testing.F) {
	seedPages(f)
	f.Fuzz(func(t *testing.T, body []byte, pageURL string) {
		if !utf8.Valid(body) {
			return
		}
		p, err := listpage.Probe(body, pageURL, listpage.Options{})
		if err != nil || len(p.Follow) > 0 {
			return
		}
		if _, err := listpage.Compile(p.Type, p.Select, p.PageParam); err != nil {
			t.Fatalf("proposal %+v does not compile: %v", p.Select, err)
		}
	})
}

// FuzzDetail reads arbitrary article pages.
func FuzzDetail(f *testing.F) {
	f.Add([]byte(`<html><head><meta name="PubDate" content="2020年08月02日"><meta name="ArticleTitle" content="标题"></head><body><div class="TRS_Editor"><p>正文<a href="./P0.xls">附件</a></p></div></body></html>`), "http://x/a/b.html")
	d, err := listpage.CompileDetail(listpage.DetailSelect{Body: "div.TRS_Editor", Date: "span.date"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte, pageURL string) {
		if !utf8.Valid(body) {
			return
		}
		_, _ = d.Extract(body, pageURL, listpage.Options{})
		_, _, _ = listpage.ProbeDetail(body, pageURL, listpage.Options{})
	})
}
