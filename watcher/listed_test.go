package watcher_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// churnFeed serves an RSS feed whose items the test rewrites.
type churnFeed struct {
	mu    sync.Mutex
	items []string
	srv   *httptest.Server
}

func newChurnFeed(t *testing.T) *churnFeed {
	f := &churnFeed{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>`+strings.Join(f.items, "")+`</channel></rss>`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *churnFeed) set(items ...string) {
	f.mu.Lock()
	f.items = items
	f.mu.Unlock()
}

func item(guid, title, link string) string {
	g := ""
	if guid != "" {
		g = "<guid>" + guid + "</guid>"
	}
	return fmt.Sprintf("<item>%s<title>%s</title><link>%s</link></item>", g, title, strings.ReplaceAll(link, "&", "&amp;"))
}

// One announcement whose guid changes, whose link moves to https and gains
// tracking parameters and an index.html: no further item.
func TestIdentitySurvivesChurn(t *testing.T) {
	conn := natstest.Start(t, "")
	f := newChurnFeed(t)
	p := newPoller(t, conn.JS, f.srv.URL)
	p.Source.Baseline = false
	f.set(item("g-1", "关于2026年第5期食品安全监督抽检信息的通告", "http://amr.example.gov.cn/tzgg/202611/t1/"))
	mustPoll(t, p, 1)
	steps := []string{
		item("g-2", "关于2026年第5期食品安全监督抽检信息的通告", "http://amr.example.gov.cn/tzgg/202611/t1/"),                                   // guid changes
		item("g-2", "关于2026年第5期食品安全监督抽检信息的通告", "https://AMR.example.gov.cn/tzgg/202611/t1/index.html?utm_source=rss&spm=1.2"), // https, tracking, index.html
		item("g-3", "关于2026年第5期食品安全监督抽检信息的通告", "https://amr.example.gov.cn/tzgg/202611/t1?share_from=wx#top"),                 // both changed, slash gone
	}
	for _, s := range steps {
		f.set(s)
		mustPoll(t, p, 0)
	}
	// A different notice with near-identical wording is a new item.
	f.set(item("g-4", "关于2026年第6期食品安全监督抽检信息的通告", "https://amr.example.gov.cn/tzgg/202611/t2/"))
	mustPoll(t, p, 1)
	// Entries that share one link (a feed that links everything to its home page) stay apart by guid.
	f.set(item("a", "通告甲", "http://amr.example.gov.cn/"), item("b", "通告乙", "http://amr.example.gov.cn/"))
	mustPoll(t, p, 2)
}

func mustPoll(t *testing.T, p *watcher.Poller, published int) {
	t.Helper()
	res, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != published {
		t.Fatalf("poll: %+v, want %d published", res, published)
	}
}

// A store written by the per-item seen-store (one key per item in
// QUALITYWATCH_SEEN) is migrated: nothing alerts again.
func TestSeenStoreMigration(t *testing.T) {
	conn := natstest.Start(t, "")
	s := newSite(t, "rss2_utf8.xml")
	p := newPoller(t, conn.JS, s.srv.URL)
	feed, err := watcher.Parse(mustRead(t, "testdata/rss2_utf8.xml"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range feed.Entries {
		if err := p.Store.MarkSeen(t.Context(), p.Source.Name, watcher.ItemID(p.Source.Name, e)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Store.SaveState(t.Context(), p.Source.Name, watcher.SourceState{Baselined: true}); err != nil {
		t.Fatal(err)
	}
	mustPoll(t, p, 0)
	listed, err := p.Store.Listed(t.Context(), p.Source.Name)
	if err != nil || listed.Len() < len(feed.Entries) {
		t.Fatalf("listed after migration: %v, %v", listed, err)
	}
	// And from now on, without the old keys' help: with the validators and
	// body hash forgotten, the feed is read again and its entries are found
	// in the new store (not empty, so the old keys are not consulted).
	if err := p.Store.SaveState(t.Context(), p.Source.Name, watcher.SourceState{Baselined: true}); err != nil {
		t.Fatal(err)
	}
	res, err := newPoller(t, conn.JS, s.srv.URL).Poll(t.Context())
	if err != nil || res.NotModified || res.Entries != len(feed.Entries) || res.Published != 0 {
		t.Fatalf("poll after migration: %+v, %v; want all %d entries read, none published", res, err, len(feed.Entries))
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A server without ETag or Last-Modified that sends the same bytes again:
// recognised by their hash, not parsed, nothing published.
func TestUnchangedBodyIsRecognised(t *testing.T) {
	conn := natstest.Start(t, "")
	f := newChurnFeed(t)
	f.set(item("g-1", "质量月活动启动", "http://a.example/1"))
	p := newPoller(t, conn.JS, f.srv.URL)
	mustPoll(t, p, 0)
	res, err := p.Poll(t.Context())
	if err != nil || !res.NotModified {
		t.Fatalf("the same body again: %+v %v, want it taken as not modified", res, err)
	}
	f.set(item("g-2", "质量奖评审", "http://a.example/2"), item("g-1", "质量月活动启动", "http://a.example/1"))
	mustPoll(t, p, 1)
}

// An alerted item whose title is corrected gives one update, with
// update_of; cosmetic changes and a second correction give nothing.
func TestCorrectionGivesOneUpdate(t *testing.T) {
	conn := natstest.Start(t, "")
	f := newChurnFeed(t)
	p := newPoller(t, conn.JS, f.srv.URL)
	p.Source.Baseline = false
	f.set(item("g-1", "潍坊市食品抽检信息通告（第5期）", "http://a.example/5"))
	mustPoll(t, p, 1)
	f.set(item("g-1", "潍坊市食品抽检信息通告 (第5期)。", "http://a.example/5")) // spaces and punctuation only
	mustPoll(t, p, 0)
	f.set(item("g-1", "潍坊市食品抽检信息通告（第5期，更正版）", "http://a.example/5"))
	mustPoll(t, p, 1)
	f.set(item("g-1", "潍坊市食品抽检信息通告（第5期，再次更正）", "http://a.example/5"))
	mustPoll(t, p, 0)
	items := streamItems(t, conn.JS)
	if len(items) != 2 || items[1].UpdateOf != items[0].ID || items[1].ID != items[0].ID+"#update" || !strings.Contains(items[1].Title, "更正版") {
		t.Fatalf("items %+v: want the first and one update of it", items)
	}
}
