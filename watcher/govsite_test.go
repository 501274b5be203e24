package watcher_test

// Every CMS family of the fake bureau (internal/govsite) read as a user
// would configure it: all pages, each entry's detail page, in its charset.

import (
	"errors"
	"io"
	"log/slog"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/internal/govsite"
	"github.com/qualitywatch/qualitywatch/listpage"
	"github.com/qualitywatch/qualitywatch/watcher"
)

func govReader(t *testing.T, site *govsite.Site, path string, sel govsite.Selectors, pages int) *watcher.Reader {
	t.Helper()
	spec, err := listpage.Compile(kindOf(sel), listpage.Select{HTML: sel.HTML, Items: sel.Items, Item: sel.Item,
		Title: sel.Title, Link: sel.Link, Date: sel.Date}, "")
	if err != nil {
		t.Fatal(err)
	}
	detail, err := listpage.CompileDetail(listpage.DetailSelect{Body: sel.Body, Date: sel.DetailDate})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(path, govsite.JSONListPath) {
		spec.PageParam = "page"
	}
	jar, _ := cookiejar.New(nil)
	return &watcher.Reader{
		Source: watcher.Source{Name: "gov", URL: site.URL + path,
			List: &watcher.ListSource{Spec: spec, Detail: detail, Pages: pages}},
		Fetcher: &watcher.Fetcher{Client: watcher.NewClient(watcher.ClientOptions{
			Guard: &watcher.Guard{OwnHost: "127.0.0.1"}, Polite: &watcher.HostLimiter{}, Jar: jar,
		}), Accept: watcher.PageAccept, Timeout: 10 * time.Second},
		Location: cst(t),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func kindOf(sel govsite.Selectors) string {
	if sel.HTML != "" || sel.Items != "" {
		return "json"
	}
	return "html"
}

func cst(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// day renders a time as govsite writes dates: with the minute when it has one.
func day(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	if t.Hour() == 0 && t.Minute() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04")
}

func TestEveryCMSFamilyReadsWithPlainSelectors(t *testing.T) {
	site := govsite.New(t)
	for name, col := range govsite.Columns() {
		t.Run(name, func(t *testing.T) {
			r := govReader(t, site, col.Path, col.Select, col.Pages)
			snap, err := r.Read(t.Context(), watcher.Validators{}, govsite.Now())
			if err == nil {
				err = snap.Problem
			}
			if err != nil {
				t.Fatal(err)
			}
			if snap.Pages != col.Pages {
				t.Errorf("read %d pages (paging %q), want %d", snap.Pages, snap.Paging, col.Pages)
			}
			got := snap.Feed.Entries
			if len(got) != len(col.Entries) {
				t.Errorf("%d entries, want %d", len(got), len(col.Entries))
			}
			for i := range min(len(got), len(col.Entries)) {
				e, w := got[i], col.Entries[i]
				u, err := url.Parse(e.Link)
				if err != nil || u.Host != strings.TrimPrefix(site.URL, "http://") {
					t.Errorf("entry %d link %s is not absolute on the site", i, e.Link)
					continue
				}
				if u.RequestURI() != w.Link || e.Title != w.Title || day(e.Published, r.Location) != w.Date {
					t.Errorf("entry %d = %q %s %s\n               want %q %s %s", i, e.Title, u.RequestURI(), day(e.Published, r.Location), w.Title, w.Link, w.Date)
				}
			}
			// Detail pages: the article's text, and its date winning over the list's.
			for i := range min(len(got), len(col.Entries), 6) {
				d, err := r.Detail(t.Context(), got[i], govsite.Now())
				if err != nil {
					t.Fatalf("detail of %s: %v", got[i].Link, err)
				}
				if len(watcher.PlainText(d.Content)) < 100 {
					t.Errorf("detail of %s: text %q", got[i].Link, watcher.PlainText(d.Content))
				}
				if w := col.Entries[i].PubDate; w != "" && day(d.Published, r.Location) != w {
					t.Errorf("detail of %s: published %s, want %s", got[i].Link, day(d.Published, r.Location), w)
				}
			}
		})
	}
}

func TestGovSiteTrapsAndChallenge(t *testing.T) {
	site := govsite.New(t)
	cols := govsite.Columns()
	// pages: 1 reads one page only.
	r := govReader(t, site, cols["trs-gbk"].Path, cols["trs-gbk"].Select, 1)
	snap, err := r.Read(t.Context(), watcher.Validators{}, govsite.Now())
	if err != nil || snap.Pages != 1 || site.Requests("/zwgk/tzgg/index_1.html") != 0 {
		t.Fatalf("pages 1: %v, %d pages, index_1 fetched %d times", err, snap.Pages, site.Requests("/zwgk/tzgg/index_1.html"))
	}
	// The WAF answers 412 with $_ts: named as a challenge, not a parse error.
	r = govReader(t, site, govsite.WAFPath, cols["trs-gbk"].Select, 1)
	_, err = r.Read(t.Context(), watcher.Validators{}, govsite.Now())
	var he *watcher.HTTPError
	if !errors.As(err, &he) || !he.Challenge {
		t.Errorf("waf: %v, want an HTTP error marked as a challenge", err)
	}
	// The Hanweb dataproxy is asked with the column's page size.
	hw := cols["hanweb"]
	if _, err := govReader(t, site, hw.Path, hw.Select, hw.Pages).Read(t.Context(), watcher.Validators{}, govsite.Now()); err != nil {
		t.Fatal(err)
	}
	hits := slices.DeleteFunc(site.Hits(), func(h string) bool { return !strings.Contains(h, "dataproxy") })
	if len(hits) != hw.Pages-1 {
		t.Errorf("%d dataproxy requests for %d pages, want one per page after the first", len(hits), hw.Pages)
	}
	for _, h := range hits {
		if !strings.Contains(h, "perpage=15") {
			t.Errorf("dataproxy asked with another page size: %s", h)
		}
	}
}
