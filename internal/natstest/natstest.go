// Package natstest starts a real, embedded NATS JetStream server for tests,
// storing under t.TempDir(), with qualitywatch's streams and buckets set up.
package natstest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
)

// Start returns a connection to a fresh embedded server that is closed when
// the test ends. storeDir may be "" for a new temporary directory; pass the
// same directory to a second Start to simulate a restart.
func Start(t testing.TB, storeDir string) *bus.Conn {
	t.Helper()
	if storeDir == "" {
		storeDir = t.TempDir()
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := bus.Connect(ctx, bus.Options{StoreDir: storeDir, Name: t.Name()}, logger)
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	if err := bus.Setup(ctx, c.JS, bus.DefaultRetention(), 1); err != nil {
		t.Fatalf("set up streams: %v", err)
	}
	return c
}
