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
