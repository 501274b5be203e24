package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// With nats.url set the daemon joins that server and embeds nothing.
func TestJoinsExternalNATS(t *testing.T) {
	listen := freePort(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := t.Context()
	external, err := bus.Connect(ctx, bus.Options{Listen: listen, StoreDir: t.TempDir(), Name: "external"}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = external.Close(context.Background()) })

	unused := filepath.Join(t.TempDir(), "must-not-exist")
	httpAddr := freePort(t)
	cfg, err := config.Parse([]byte(fmt.Sprintf("nats: {url: \"nats://%s\", store_dir: %q}\nhttp: {listen: %q}\nnotifiers:\n  - {name: t, type: console}\n",
		listen, unused, httpAddr)), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(cfg, logger, io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()

	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready on the external server")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, s := range []string{bus.ItemsStream, bus.AlertsStream, bus.DeadLetterStream} {
		if _, err := external.JS.Stream(ctx, s); err != nil {
			t.Errorf("stream %s not created on the external server: %v", s, err)
		}
	}
	if _, err := external.JS.Consumer(ctx, bus.AlertsStream, "notify-t"); err != nil {
		t.Errorf("notifier consumer not on the external server: %v", err)
	}
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(unused); !os.IsNotExist(err) {
		t.Errorf("store_dir was used with nats.url set: %v", err)
	}
}
