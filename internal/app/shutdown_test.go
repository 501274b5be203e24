package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// A stop while a slow target holds a delivery finishes within the shutdown
// budget, and the alert cut short is delivered after the restart.
func TestStopDuringSlowDeliveryLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon twice")
	}
	var slow atomic.Bool
	slow.Store(true)
	var arrived, accepted atomic.Int32
	var sentinelIn atomic.Bool
	release := make(chan struct{}) // lets a request held by the slow target go
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		arrived.Add(1)
		if slow.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		if hasSentinel(string(body)) {
			sentinelIn.Store(true)
			return
		}
		accepted.Add(1)
	}))
	t.Cleanup(target.Close)
	src := newFeed(t)

	store := t.TempDir()
	conf := fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: ""}
watch: {schedule: "@every 1s", jitter: 0s}
sources: [{name: news, url: %q}]
notifiers: [{name: hook, type: webhook, url: %q, timeout: 60s}]
`, freePort(t), store, src.srv.URL, target.URL)
	cfg, err := config.Parse([]byte(conf), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatal(err)
	}
	run := func() (context.CancelFunc, chan error) {
		a, err := app.Build(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard, "test")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		return cancel, done
	}
	cancel, done := run()
	js := connectJS(t, cfg)
	waitFor(t, 30*time.Second, "the baseline", func() bool { return baselined(t, js, "news") })
	src.add("wf", "潍坊市市场监督管理局关于食品安全监督抽检信息的通告", "组织抽检食品样品120批次，其中不合格样品3批次。")
	waitFor(t, 30*time.Second, "the delivery to reach the slow target", func() bool { return arrived.Load() > 0 })

	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(app.ShutdownTimeout + 2*time.Second):
		t.Fatalf("not stopped within %s of the signal", app.ShutdownTimeout+2*time.Second)
	}
	t.Logf("stopped in %s with a delivery in flight", time.Since(stopped).Round(time.Millisecond))
	if accepted.Load() != 0 {
		t.Fatal("the slow target accepted the alert")
	}

	slow.Store(false)
	close(release)
	restarted := time.Now()
	cancel, done = run()
	defer func() { cancel(); <-done }()
	waitFor(t, 30*time.Second, "the alert after the restart", func() bool { return accepted.Load() > 0 })
	t.Logf("delivered %s after the restart", time.Since(restarted).Round(time.Millisecond))
	// A second delivery would come before the sentinel's.
	src.addSentinel()
	waitFor(t, 30*time.Second, "the sentinel", sentinelIn.Load)
	if n := accepted.Load(); n != 1 {
		t.Fatalf("delivered %d times after the restart, want once", n)
	}
}
