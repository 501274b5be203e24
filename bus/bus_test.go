package bus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
)

func TestSetupIsIdempotentAndDeduplicates(t *testing.T) {
	dir := t.TempDir()
	c := natstest.Start(t, dir)
	ctx := t.Context()
	if err := bus.Setup(ctx, c.JS, bus.DefaultRetention(), 1); err != nil {
		t.Fatalf("second setup: %v", err)
	}
	msg := &nats.Msg{Subject: bus.ItemSubject("weifang-news"), Data: []byte("{}"), Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, "guid:1")
	for i := range 2 {
		ack, err := c.JS.PublishMsg(ctx, msg)
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if want := i == 1; ack.Duplicate != want {
			t.Fatalf("publish %d: duplicate = %v, want %v", i, ack.Duplicate, want)
		}
	}
	s, err := c.JS.Stream(ctx, bus.ItemsStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 1 {
		t.Fatalf("stream holds %d messages, want 1", n)
	}
}

func TestSubjects(t *testing.T) {
	tests := []struct{ name, got, want string }{
		{"alert", bus.AlertSubject("weifang", "sampling"), "qualitywatch.alerts.weifang.sampling"},
		{"alert unsafe", bus.AlertSubject("Wei Fang.*", ""), "qualitywatch.alerts.wei-fang.other"},
		{"item", bus.ItemSubject("weifang-news"), "qualitywatch.items.weifang-news"},
		{"deadletter", bus.DeadLetterSubject("qa-mail"), "qualitywatch.deadletter.qa-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestStoreDirIsLocked(t *testing.T) {
	dir := t.TempDir()
	natstest.Start(t, dir)
	_, err := bus.Connect(t.Context(), bus.Options{StoreDir: dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "is in use by another qualitywatch process") {
		t.Fatalf("second server on the same store: err = %v", err)
	}
}

// TestSetupShortensWindows: a store set up when the items and alerts
// streams kept an hour's duplicate ids gets their short windows at the next
// start.
func TestSetupShortensWindows(t *testing.T) {
	c := natstest.Start(t, t.TempDir())
	ctx := t.Context()
	for _, name := range []string{bus.ItemsStream, bus.AlertsStream} {
		s, err := c.JS.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.CachedInfo().Config
		cfg.Duplicates = time.Hour // as earlier versions created it
		if _, err := c.JS.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := bus.Setup(ctx, c.JS, bus.DefaultRetention(), 1); err != nil {
		t.Fatalf("setup over the old window: %v", err)
	}
	for name, want := range map[string]time.Duration{bus.ItemsStream: bus.ItemsDuplicateWindow, bus.AlertsStream: bus.AlertsDuplicateWindow} {
		s, err := c.JS.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.CachedInfo().Config.Duplicates; got != want {
			t.Errorf("%s: duplicate window %v, want %v", name, got, want)
		}
	}
}

// TestAlertsOutliveTheRepostWindow: configuration refuses an alerts
// retention shorter than the window the router's index is kept for on the
// alerts stream.
func TestAlertsOutliveTheRepostWindow(t *testing.T) {
	if config.MinAlertsRetention != bus.RepostWindow {
		t.Errorf("config.MinAlertsRetention = %v, bus.RepostWindow = %v: want them equal", config.MinAlertsRetention, bus.RepostWindow)
	}
	if d := bus.DefaultRetention().Alerts; d < bus.RepostWindow {
		t.Errorf("default alerts retention %v is shorter than the repost window", d)
	}
}
