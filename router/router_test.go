package router_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/router"
)

type noMetrics struct{}

func (noMetrics) AlertPublished(string, string) {}

func publishItem(t *testing.T, js jetstream.JetStream, it alert.Item) {
	t.Helper()
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	m := &nats.Msg{Subject: bus.ItemSubject(it.Source), Data: b, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, it.ID)
	if _, err := js.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

func TestRouterRoutesMatchesToAlerts(t *testing.T) {
	conn := natstest.Start(t, "")
	handled := watchSettled(t, conn.NC)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- router.New(conn.JS, slog.New(slog.NewTextHandler(io.Discard, nil)), noMetrics{}).Run(ctx)
	}()

	match := alert.Item{Schema: alert.ItemSchema, ID: "guid:1", Source: "weifang-news", Title: "潍坊市食品安全监督抽检信息",
		Link: "http://example.org/1", Published: "2026-11-01T00:00:00Z", Fetched: "2026-11-01T00:01:00Z", Summary: "抽检",
		Verdict: alert.Verdict{Match: true, Score: 0.9, Categories: []string{"sampling", "recall"}, Regions: []string{"weifang", "shandong"},
			Terms: []alert.Term{{Term: "抽检", Category: "sampling", Count: 2}}}}
	publishItem(t, conn.JS, match)
	publishItem(t, conn.JS, alert.Item{Schema: alert.ItemSchema, ID: "guid:2", Source: "weifang-news", Title: "高质量发展大会", Verdict: alert.Verdict{Match: false}})
	publishItem(t, conn.JS, match) // a redelivered copy is published again by a restarted watcher: one alert only
	bad := &nats.Msg{Subject: bus.ItemSubject("weifang-news"), Data: []byte("not json")}
	if _, err := conn.JS.PublishMsg(t.Context(), bad); err != nil {
		t.Fatal(err)
	}

	// The copy of guid:1 is dropped by the stream (same Nats-Msg-Id): two
	// items and the malformed message reach the router.
	handled.wait(t, 3)
	s, err := conn.JS.Stream(t.Context(), bus.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	sinfo, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if sinfo.State.Msgs != 1 {
		t.Fatalf("alerts stream holds %d messages, want 1", sinfo.State.Msgs)
	}
	m, err := s.GetLastMsgForSubject(t.Context(), "qualitywatch.alerts.weifang.sampling")
	if err != nil {
		t.Fatalf("alert on its primary region and category: %v", err)
	}
	if id := m.Header.Get(jetstream.MsgIDHeader); id != "guid:1" {
		t.Errorf("Nats-Msg-Id = %q", id)
	}
	a, err := alert.Decode(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Schema != alert.Schema || a.Title != match.Title || a.Score != 0.9 || len(a.Regions) != 2 || a.Terms[0].Count != 2 || a.Detected == "" {
		t.Errorf("alert = %+v", a)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stage did not stop")
	}
}
