package watcher_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/listpage"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// column is a TRS-style list page whose entries and article pages a test
// changes, counting the article fetches.
type column struct {
	mu       sync.Mutex
	rows     []string          // <li> rows, newest first
	articles map[string]string // path -> body text
	failing  map[string]int    // path -> answers of 500 still to give
	hits     map[string]int
	srv      *httptest.Server
}

func newColumn(t *testing.T) *column {
	c := &column{articles: map[string]string{}, failing: map[string]int{}, hits: map[string]int{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.hits[r.URL.Path]++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/tzgg/index.html" {
			fmt.Fprint(w, `<html><body><ul class="nav"><li><a href="/">首页</a></li></ul><ul class="category-list">`+
				strings.Join(c.rows, "")+`</ul></body></html>`)
			return
		}
		if c.failing[r.URL.Path] > 0 {
			c.failing[r.URL.Path]--
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		text, ok := c.articles[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `<html><head><meta name="PubDate" content="2026-11-30 10:20"></head><body><div class="nav"><a href="/">首页</a></div><div class="TRS_Editor"><p>%s</p></div></body></html>`, text)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// add lists an entry (link relative to the list) with its article.
func (c *column) add(path, title, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows = append([]string{fmt.Sprintf(`<li><a href="%s" title="%s">%s</a><span>[2026-11-30]</span></li>`, path, title, title)}, c.rows...)
	c.articles["/tzgg/"+strings.TrimPrefix(path, "./")] = text
}

func (c *column) hitsOf(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[path]
}

func (c *column) failNext(path string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failing[path] = n
}

func listPoller(t *testing.T, c *column, sel listpage.Select) (*watcher.Poller, jetstream.JetStream) {
	t.Helper()
	conn := natstest.Start(t, "")
	p := newPoller(t, conn.JS, c.srv.URL+"/tzgg/index.html")
	spec, err := listpage.Compile("html", sel, "")
	if err != nil {
		t.Fatal(err)
	}
	detail, err := listpage.CompileDetail(listpage.DetailSelect{Body: "div.TRS_Editor"})
	if err != nil {
		t.Fatal(err)
	}
	p.Source.List = &watcher.ListSource{Spec: spec, Detail: detail, Pages: 1}
	p.Fetcher = &watcher.Fetcher{Client: watcher.NewClient(watcher.ClientOptions{
		Guard: &watcher.Guard{OwnHost: "127.0.0.1"}, Polite: &watcher.HostLimiter{},
	}), Timeout: 5 * time.Second}
	p.Classifier = keywordClassifier{}
	return p, conn.JS
}

func TestListSourceDetailPages(t *testing.T) {
	c := newColumn(t)
	c.add("./202611/t20261129_1.shtml", "人事任免公示", "任命张三为副局长。")
	p, js := listPoller(t, c, listpage.Select{Item: "ul.category-list li", Date: "span"})

	// First sight: recorded, no article fetched.
	res, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Baseline != 1 || c.hitsOf("/tzgg/202611/t20261129_1.shtml") != 0 {
		t.Fatalf("baseline %+v, article fetched %d times: want 1 recorded, none fetched", res, c.hitsOf("/tzgg/202611/t20261129_1.shtml"))
	}

	// A neutral title whose article is a sampling notice; its page fails twice.
	c.add("./202611/t20261130_2.shtml", "关于2026年第12期信息的通告", "本次抽检食品100批次，不合格3批次。")
	c.failNext("/tzgg/202611/t20261130_2.shtml", 2)
	for attempt := 1; attempt <= 2; attempt++ {
		res, err = p.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if res.Deferred != 1 || res.Published != 0 {
			t.Fatalf("poll with a failing article (%d): %+v, want it deferred", attempt, res)
		}
	}
	res, err = p.Poll(t.Context())
	if err != nil || res.Published != 1 {
		t.Fatalf("third poll: %+v %v, want the entry published", res, err)
	}
	items := streamItems(t, js)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	it := items[0]
	if !strings.Contains(it.Text, "抽检") {
		t.Errorf("item text %q should be the article's", it.Text)
	}
	if it.Link != c.srv.URL+"/tzgg/202611/t20261130_2.shtml" || it.Published != "2026-11-30T02:20:00Z" {
		t.Errorf("link %s published %s: want the absolute link and the article's PubDate", it.Link, it.Published)
	}
	// Nothing is published twice.
	if res, err = p.Poll(t.Context()); err != nil || res.Published != 0 {
		t.Fatalf("unchanged list: %+v %v", res, err)
	}

	// An article that never answers goes out after three polls with what the list gave.
	c.add("./202611/t20261130_3.shtml", "关于抽检情况的通告", "")
	c.failNext("/tzgg/202611/t20261130_3.shtml", 100)
	var published int
	for range 3 {
		res, err = p.Poll(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		published += res.Published
	}
	if published != 1 || c.hitsOf("/tzgg/202611/t20261130_3.shtml") != 3 {
		t.Fatalf("published %d after %d fetches, want 1 after 3", published, c.hitsOf("/tzgg/202611/t20261130_3.shtml"))
	}
	items = streamItems(t, js)
	if last := items[len(items)-1]; last.Title != "关于抽检情况的通告" || last.Published != "2026-11-29T16:00:00Z" {
		t.Errorf("fallback item %+v: want the list's title and date", last)
	}
}

func TestListSourceLayoutChangeIsLoud(t *testing.T) {
	c := newColumn(t)
	c.add("./202611/t20261129_1.shtml", "人事任免公示", "任命。")
	p, _ := listPoller(t, c, listpage.Select{Item: "ul.category-list li", Date: "span"})
	if _, err := p.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	c.rows = nil // the template changed: no entries where they were
	c.mu.Unlock()
	_, err := p.Poll(t.Context())
	var le *listpage.LayoutError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), `select.item "ul.category-list li" matched nothing on `+c.srv.URL) {
		t.Fatalf("err = %v, want a layout error naming select.item", err)
	}
}

func TestListSourceNeverFetchesPrivateLinks(t *testing.T) {
	c := newColumn(t)
	p, js := listPoller(t, c, listpage.Select{Item: "ul.category-list li"})
	p.Source.Baseline = false
	c.mu.Lock()
	c.rows = []string{`<li><a href="http://169.254.169.254/latest/meta-data/" title="关于抽检的通告">关于抽检的通告</a></li>`,
		`<li><a href="http://localhost:1/x.html" title="产品召回">产品召回</a></li>`}
	c.mu.Unlock()
	if _, err := p.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	items := streamItems(t, js)
	if len(items) != 2 {
		t.Fatalf("%d items, want both entries published at once with the list's data", len(items))
	}
	for _, it := range items {
		if it.Text != "" {
			t.Errorf("item %s has text %q: its page must not have been fetched", it.Link, it.Text)
		}
	}
}
