package watcher_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// panicky panics on every classification and counts its calls.
type panicky struct{ calls atomic.Int32 }

func (p *panicky) Classify(string, string) alert.Verdict {
	p.calls.Add(1)
	panic("classifier bug")
}

type countingMetrics struct{ ok, errors atomic.Int32 }

func (c *countingMetrics) Polled(_, result string, _ time.Time) {
	switch result {
	case "ok", "not_modified":
		c.ok.Add(1)
	case "error":
		c.errors.Add(1)
	}
}
func (c *countingMetrics) ItemSeen(string)                  {}
func (c *countingMetrics) ItemPublished(string)             {}
func (c *countingMetrics) SourceHealth(string, string, int) {}

func TestSchedulerSurvivesPanicsAndKeepsPolling(t *testing.T) {
	conn := natstest.Start(t, "")
	bad := newPoller(t, conn.JS, newSite(t, "rss2_utf8.xml").srv.URL)
	bad.Source.Name, bad.Source.Baseline = "bad", false
	p := &panicky{}
	bad.Classifier = p
	good := newPoller(t, conn.JS, newSite(t, "rss1_rdf.xml").srv.URL)
	good.Source.Name = "good"
	m := &countingMetrics{}
	good.Metrics = m

	every, err := config.ParseSchedule("@every 1s", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s := watcher.NewScheduler(slog.New(slog.NewTextHandler(io.Discard, nil)), time.UTC, "test")
	s.Start(ctx, []watcher.Job{{Poller: bad, Schedule: every}, {Poller: good, Schedule: every}})

	deadline := time.Now().Add(15 * time.Second)
	for p.calls.Load() < 3 || m.ok.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after 15s: panicking source polled %d times, good source %d; both should keep running", p.calls.Load(), m.ok.Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case <-s.Stop().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("scheduler did not stop")
	}
}
