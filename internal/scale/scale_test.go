package scale_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/internal/scale"
)

// TestRunSmoke runs the harness for a few seconds: a handful of sources
// answered with new entries, the feeds and the daemon in this process.
func TestRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for 3 seconds")
	}
	feeds, err := scale.NewFeeds(scale.FeedOptions{Mode: scale.ModeNew, Feeds: 3, Items: 5, New: 5, MatchEvery: 2, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(feeds)
	t.Cleanup(srv.Close)
	zero := time.Duration(0)
	r, err := scale.Run(t.Context(), scale.Options{FeedURL: srv.URL, Sources: 3, Schedule: "@every 1s", Duration: 3 * time.Second,
		Warmup: time.Second, Jitter: &zero, Notifier: scale.NotifierWebhook, AnchorTime: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r.Print(&out)
	t.Log("\n" + out.String())
	if r.Server.Counts.Requests < 3 || r.Anchor.CPU <= 0 || len(r.Samples) < 2 {
		t.Errorf("the run measured nothing:\n%s", out.String())
	}
}

// TestWindows: a run's samples cut into windows give each window's CPU per
// poll and growth per 10,000 items; a window cut short is left out.
func TestWindows(t *testing.T) {
	var r scale.Report
	for i := range 21 { // one sample a second for 20 s
		at := float64(i)
		s := scale.Sample{At: at, Items: int64(1000 * i), Server: scale.ServerCounts{Requests: int64(10 * i)}}
		s.CPU = 0.01 * at      // 1 ms per poll
		s.RSS = int64(i) << 20 // 1 MiB per 1,000 items: 10 MiB per 10,000
		if i >= 10 {
			s.CPU = 0.1 + 0.02*(at-10) // 2 ms per poll from 10 s
			s.RSS = 10 << 20           // flat from 10 s
		}
		s.HeapLive = s.RSS / 2
		r.Samples = append(r.Samples, s)
	}
	ws := r.Windows(10)
	if len(ws) != 2 {
		t.Fatalf("got %d windows, want 2: %+v", len(ws), ws)
	}
	near := func(got, want float64) bool { return got > want-1e-9 && got < want+1e-9 }
	if !near(ws[0].CPUPerPoll, 0.001) || !near(ws[0].RSSPer10k, 10) || !near(ws[0].HeapPer10k, 5) {
		t.Errorf("first window %+v, want 1 ms per poll, +10 MiB resident and +5 MiB live per 10,000 items", ws[0])
	}
	if !near(ws[1].CPUPerPoll, 0.002) || !near(ws[1].RSSPer10k, 0) {
		t.Errorf("second window %+v, want 2 ms per poll and no growth", ws[1])
	}
	if len(r.Windows(15)) != 1 {
		t.Errorf("a window cut short is reported")
	}
}
