package watcher_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/internal/scale"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// The benchmarks here measure a poll against its anchor, gofeed parsing
// the same bytes, in the same run (see BENCHMARKS.md). Each reports, besides
// ns/op (wall time), cpu-ns/op: the process's CPU time (getrusage, every
// thread: the embedded NATS server, GC) per operation, and the poll's
// sub-benchmark reports x-gofeed, its cpu-ns/op over the anchor's. The
// feeds come from the scale harness's feed server (package scale), on
// loopback in this process: rendering a body is part of a poll's figures
// (tens of microseconds per 20 entries).
//
// The classifier's own cost against a bare Aho-Corasick scan is measured
// by BenchmarkClassify and BenchmarkScan in package classifier.

type benchMetrics struct{}

func (benchMetrics) Polled(string, string, time.Time) {}
func (benchMetrics) ItemSeen(string)                  {}
func (benchMetrics) ItemPublished(string)             {}
func (benchMetrics) SourceHealth(string, string, int) {}

// benchClassifier never matches: a poll without the classifier's cost.
type benchClassifier struct{}

func (benchClassifier) Classify(string, string) alert.Verdict { return alert.Verdict{} }

// cpuLoop runs body b.N times under b.Loop and reports cpu-ns/op; it
// returns that figure.
func cpuLoop(b *testing.B, body func()) float64 {
	b.Helper()
	c0, err := scale.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		body()
		n++
	}
	c1, err := scale.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	perOp := float64(c1-c0) / float64(max(n, 1))
	b.ReportMetric(perOp, "cpu-ns/op")
	return perOp
}

// benchPoller is a poller of feed 0 of feeds, on a fresh embedded NATS,
// that has taken its baseline.
func benchPoller(b *testing.B, feeds *scale.Feeds, c watcher.Classifier) *watcher.Poller {
	b.Helper()
	srv := httptest.NewServer(feeds)
	b.Cleanup(srv.Close)
	conn := natstest.Start(b, "")
	ctx := context.Background()
	store, err := watcher.OpenStore(ctx, conn.JS)
	if err != nil {
		b.Fatal(err)
	}
	p := &watcher.Poller{
		Source:     watcher.Source{Name: "bench", URL: srv.URL + "/f/0", Timeout: time.Minute, Baseline: true, Interval: time.Minute},
		Fetcher:    &watcher.Fetcher{Timeout: time.Minute},
		Store:      store,
		Publisher:  watcher.NewPublisher(conn.JS),
		Classifier: c,
		Metrics:    benchMetrics{},
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Events:     watcher.NewPublisher(conn.JS),
	}
	if _, err := p.Poll(ctx); err != nil {
		b.Fatal(err)
	}
	return p
}

func realClassifier(b *testing.B) watcher.Classifier {
	b.Helper()
	c, err := app.NewClassifier(config.Classifier{})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// anchor benchmarks gofeed parsing body and returns its cpu-ns/op.
func anchor(b *testing.B, body []byte) float64 {
	b.Helper()
	s := string(body)
	b.SetBytes(int64(len(body)))
	return cpuLoop(b, func() {
		if _, err := gofeed.NewParser().ParseString(s); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkPollNewItems is one poll of a feed of 20 entries, every one new
// (as the scale harness's mode "new" serves them): fetch, decode, parse,
// look up, classify, publish each item with its acknowledgement, save the
// seen-store and the source's state. gofeed is gofeed.NewParser().ParseString
// of the same bytes; poll uses the daemon's classifier, poll-noclassify a
// classifier that does nothing. Goal: poll ≤ 3× gofeed (x-gofeed ≤ 3).
func BenchmarkPollNewItems(b *testing.B) {
	newFeeds := func(b *testing.B) *scale.Feeds {
		f, err := scale.NewFeeds(scale.FeedOptions{Mode: scale.ModeNew, Feeds: 1, Items: 20, New: 20, MatchEvery: 20, Interval: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		return f
	}
	var gofeedCPU float64
	b.Run("gofeed", func(b *testing.B) {
		gofeedCPU = anchor(b, newFeeds(b).Sample())
	})
	for _, v := range []struct {
		name string
		c    func(*testing.B) watcher.Classifier
	}{
		{"poll", realClassifier},
		{"poll-noclassify", func(*testing.B) watcher.Classifier { return benchClassifier{} }},
	} {
		b.Run(v.name, func(b *testing.B) {
			feeds := newFeeds(b)
			p := benchPoller(b, feeds, v.c(b))
			b.SetBytes(int64(len(feeds.Sample())))
			ctx := context.Background()
			cpu := cpuLoop(b, func() {
				res, err := p.Poll(ctx)
				if err != nil || res.Published != 20 {
					b.Fatalf("poll: %+v, %v", res, err)
				}
			})
			if gofeedCPU > 0 {
				b.ReportMetric(cpu/gofeedCPU, "x-gofeed")
			}
		})
	}
}

// BenchmarkPollUnchanged10k is the second and later polls of a feed of
// 10,000 entries that never changes and sends neither ETag nor
// Last-Modified, against one gofeed parse of it. Goal: the unchanged body
// is recognised (by its hash) for ≤ 5% of a parse (x-gofeed ≤ 0.05).
func BenchmarkPollUnchanged10k(b *testing.B) {
	feeds, err := scale.NewFeeds(scale.FeedOptions{Mode: scale.ModeStatic, Feeds: 1, Items: 10000, Interval: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	var gofeedCPU float64
	b.Run("gofeed", func(b *testing.B) {
		gofeedCPU = anchor(b, feeds.Sample())
	})
	b.Run("poll", func(b *testing.B) {
		p := benchPoller(b, feeds, realClassifier(b))
		b.SetBytes(int64(len(feeds.Sample())))
		ctx := context.Background()
		cpu := cpuLoop(b, func() {
			res, err := p.Poll(ctx)
			if err != nil || res.Published != 0 {
				b.Fatalf("poll: %+v, %v", res, err)
			}
		})
		if gofeedCPU > 0 {
			b.ReportMetric(cpu/gofeedCPU, "x-gofeed")
		}
	})
}
