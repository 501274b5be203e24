package watcher_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// keywordClassifier matches titles containing 抽检; enough to see verdicts
// travel with items (the real classifier has its own tests).
type keywordClassifier struct{}

func (keywordClassifier) Classify(title, _ string) alert.Verdict {
	return alert.Verdict{Match: strings.Contains(title, "抽检"), Score: 0.9, Categories: []string{"sampling"}, Regions: []string{"weifang"}}
}

type noMetrics struct{}

func (noMetrics) Polled(string, string, time.Time) {}
func (noMetrics) ItemSeen(string)                  {}
func (noMetrics) ItemPublished(string)             {}
func (noMetrics) SourceHealth(string, string, int) {}

// site serves a feed file that the test can swap, honouring ETag.
type site struct {
	mu      sync.Mutex
	body    []byte
	etag    string
	status  int
	retry   string
	hits304 atomic.Int32
	srv     *httptest.Server
}

func newSite(t *testing.T, file string) *site {
	t.Helper()
	s := &site{}
	s.set(t, file, `"v1"`)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != 0 {
			if s.retry != "" {
				w.Header().Set("Retry-After", s.retry)
			}
			w.WriteHeader(s.status)
			return
		}
		if r.Header.Get("If-None-Match") == s.etag {
			s.hits304.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", s.etag)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) set(t *testing.T, file, etag string) {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body, s.etag = b, etag
	s.mu.Unlock()
}

func (s *site) fail(status int, retryAfter string) {
	s.mu.Lock()
	s.status, s.retry = status, retryAfter
	s.mu.Unlock()
}

func newPoller(t *testing.T, js jetstream.JetStream, url string) *watcher.Poller {
	t.Helper()
	store, err := watcher.OpenStore(t.Context(), js)
	if err != nil {
		t.Fatal(err)
	}
	return &watcher.Poller{
		Source:     watcher.Source{Name: "weifang-news", URL: url, Timeout: 5 * time.Second, Baseline: true},
		Fetcher:    &watcher.Fetcher{},
		Store:      store,
		Publisher:  watcher.NewPublisher(js),
		Classifier: keywordClassifier{},
		Metrics:    noMetrics{},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func streamItems(t *testing.T, js jetstream.JetStream) []alert.Item {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.ItemsStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var items []alert.Item
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got == "" {
			t.Errorf("item %d has no Nats-Msg-Id", seq)
		}
		it, err := alert.DecodeItem(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return items
}

func TestPollBaselineThenNewItems(t *testing.T) {
	conn := natstest.Start(t, "")
	s := newSite(t, "rss1_rdf.xml")
	p := newPoller(t, conn.JS, s.srv.URL)

	res, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Baseline != 2 || res.Published != 0 {
		t.Fatalf("first poll: %+v, want 2 baseline and nothing published", res)
	}
	if got := streamItems(t, conn.JS); len(got) != 0 {
		t.Fatalf("baseline published %d items", len(got))
	}

	res, err = p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !res.NotModified || s.hits304.Load() != 1 {
		t.Fatalf("unchanged feed: %+v, 304s %d; want a conditional GET answered 304", res, s.hits304.Load())
	}

	// The feed gains entries: only they are published, oldest first, with verdicts.
	s.set(t, "rss2_utf8.xml", `"v2"`)
	res, err = p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 3 {
		t.Fatalf("second feed: %+v, want 3 published", res)
	}
	items := streamItems(t, conn.JS)
	if len(items) != 3 {
		t.Fatalf("stream holds %d items, want 3", len(items))
	}
	for i := 1; i < len(items); i++ {
		if items[i].Published < items[i-1].Published {
			t.Errorf("items out of order: %s before %s", items[i-1].Published, items[i].Published)
		}
	}
	var matched int
	for _, it := range items {
		if it.Source != "weifang-news" || it.Title == "" || it.Fetched == "" {
			t.Errorf("incomplete item %+v", it)
		}
		if it.Verdict.Match {
			matched++
		}
	}
	if matched != 1 {
		t.Errorf("%d items carry a matching verdict, want 1 (the 抽检 one)", matched)
	}

	// Seen survives a new poller (a restart): nothing is published again.
	s.set(t, "rss2_utf8.xml", `"v3"`)
	res, err = newPoller(t, conn.JS, s.srv.URL).Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 0 || res.Published != 0 {
		t.Fatalf("after restart: %+v, want nothing new", res)
	}
}

func TestPollWithoutBaselinePublishesEverything(t *testing.T) {
	conn := natstest.Start(t, "")
	s := newSite(t, "rss2_utf8.xml")
	p := newPoller(t, conn.JS, s.srv.URL)
	p.Source.Baseline = false
	res, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 3 {
		t.Fatalf("%+v, want all 3 published", res)
	}
}

func TestPollRetryAfterDefersNextPoll(t *testing.T) {
	conn := natstest.Start(t, "")
	s := newSite(t, "rss2_utf8.xml")
	p := newPoller(t, conn.JS, s.srv.URL)
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { return now }
	s.fail(http.StatusTooManyRequests, "120")
	if _, err := p.Poll(t.Context()); err == nil || !strings.Contains(err.Error(), "weifang-news") {
		t.Fatalf("429: err = %v, want an error naming the source", err)
	}
	s.fail(0, "")
	now = now.Add(time.Minute)
	res, err := p.Poll(t.Context())
	if err != nil || res.Skipped == "" {
		t.Fatalf("within Retry-After: %+v, %v; want skipped", res, err)
	}
	now = now.Add(2 * time.Minute)
	res, err = p.Poll(t.Context())
	if err != nil || res.Skipped != "" || res.Baseline != 3 {
		t.Fatalf("after Retry-After: %+v, %v; want a real poll", res, err)
	}
}

func TestPollBrokenFeedNamesSource(t *testing.T) {
	conn := natstest.Start(t, "")
	s := newSite(t, "broken.xml")
	_, err := newPoller(t, conn.JS, s.srv.URL).Poll(t.Context())
	if err == nil || !strings.Contains(err.Error(), "source weifang-news") || !strings.Contains(err.Error(), "line 9") {
		t.Fatalf("err = %v, want a parse error naming the source and line", err)
	}
}

func TestPublishFailureLosesNothing(t *testing.T) {
	dir := t.TempDir()
	conn := natstest.Start(t, dir)
	s := newSite(t, "rss2_utf8.xml")
	p := newPoller(t, conn.JS, s.srv.URL)
	p.Source.Baseline = false
	// The items stream is gone: publishes fail, nothing may be marked seen.
	if err := conn.JS.DeleteStream(t.Context(), bus.ItemsStream); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Poll(t.Context()); err == nil {
		t.Fatal("poll succeeded with no items stream")
	}
	if err := bus.Setup(t.Context(), conn.JS, bus.DefaultRetention(), 1); err != nil {
		t.Fatal(err)
	}
	res, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Published != 3 || s.hits304.Load() != 0 {
		t.Fatalf("after recovery: %+v (304s %d); want the whole feed re-fetched and all 3 published", res, s.hits304.Load())
	}
}
