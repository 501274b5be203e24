package watcher_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

// healthEvents reads every event on the health stream.
func healthEvents(t *testing.T, js jetstream.JetStream) []alert.Health {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.HealthStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []alert.Health
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		h, err := alert.DecodeHealth(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != bus.HealthSubject(h.Source) || m.Header.Get(jetstream.MsgIDHeader) != h.ID() {
			t.Errorf("event on %s with id %q", m.Subject, m.Header.Get(jetstream.MsgIDHeader))
		}
		out = append(out, h)
	}
	return out
}

func states(evs []alert.Health) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Previous+">"+e.State)
	}
	return strings.Join(s, " ")
}

// healthPoller is a poller on a site the test switches between answers,
// with a clock the test moves by one interval per poll.
type healthPoller struct {
	*watcher.Poller
	js  jetstream.JetStream
	now time.Time
}

func newHealthPoller(t *testing.T, url string) *healthPoller {
	t.Helper()
	conn := natstest.Start(t, "")
	hp := &healthPoller{Poller: newPoller(t, conn.JS, url), js: conn.JS, now: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	hp.Now = func() time.Time { return hp.now }
	hp.Source.Interval = time.Minute
	hp.Events = watcher.NewPublisher(conn.JS)
	hp.Started = hp.now
	return hp
}

// pollNext moves the clock to the next moment a poll is allowed and polls.
func (hp *healthPoller) pollNext(t *testing.T) (watcher.Result, error) {
	t.Helper()
	for range 100 {
		hp.now = hp.now.Add(hp.Source.Interval)
		res, err := hp.Poll(t.Context())
		if res.Skipped == "" {
			return res, err
		}
	}
	t.Fatal("every poll skipped")
	return watcher.Result{}, nil
}

func TestHealthFailingThenRecovered(t *testing.T) {
	s := newSite(t, "rss2_utf8.xml")
	hp := newHealthPoller(t, s.srv.URL)
	if _, err := hp.pollNext(t); err != nil {
		t.Fatal(err)
	}
	if evs := healthEvents(t, hp.js); len(evs) != 0 {
		t.Fatalf("the first ok is not news: %s", states(evs))
	}
	s.fail(http.StatusInternalServerError, "")
	for i := 1; i <= 5; i++ {
		if _, err := hp.pollNext(t); err == nil {
			t.Fatal("a 500 poll succeeded")
		}
		if n := len(healthEvents(t, hp.js)); (i < 3 && n != 0) || (i >= 3 && n != 1) {
			t.Fatalf("after %d failures: %d events, want failing once after the third", i, n)
		}
	}
	ev := healthEvents(t, hp.js)[0]
	if ev.State != alert.StateFailing || ev.Previous != alert.StateOK || ev.Failures != 3 || !strings.Contains(ev.Error, "500") {
		t.Errorf("failing event %+v", ev)
	}
	s.fail(0, "")
	if _, err := hp.pollNext(t); err != nil {
		t.Fatal(err)
	}
	if got := states(healthEvents(t, hp.js)); got != "ok>failing failing>ok" {
		t.Errorf("events %q, want failing then recovered", got)
	}
	st, err := hp.Store.State(t.Context(), hp.Source.Name)
	if err != nil || st.Health != alert.StateOK || st.Failures != 0 || !st.NotBefore.IsZero() {
		t.Errorf("state after recovery: %+v %v", st, err)
	}
}

func TestHealthBackoffGrowsToItsCap(t *testing.T) {
	s := newSite(t, "rss2_utf8.xml")
	s.fail(http.StatusServiceUnavailable, "")
	hp := newHealthPoller(t, s.srv.URL)
	var gaps []time.Duration
	last := hp.now
	for range 8 {
		if _, err := hp.pollNext(t); err == nil {
			t.Fatal("poll succeeded")
		}
		gaps = append(gaps, hp.now.Sub(last))
		last = hp.now
	}
	// 1, 1, then growing, never past 8 intervals plus a fifth.
	for i, g := range gaps {
		if g > time.Duration(8*1.2*float64(time.Minute))+time.Minute {
			t.Errorf("gap %d = %s, past the cap", i, g)
		}
	}
	if gaps[1] != time.Minute || gaps[len(gaps)-1] < 6*time.Minute {
		t.Errorf("gaps %v: want the schedule after one failure and about 8 intervals at the end", gaps)
	}
	res, err := hp.Poll(t.Context())
	if err != nil || !strings.Contains(res.Skipped, "backing off after 8 failed polls") {
		t.Errorf("a poll during the backoff: %+v %v", res, err)
	}
}

func TestHealthBlockedByAChallenge(t *testing.T) {
	var status atomic.Int32
	status.Store(412)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte(`<html><script>$_ts=window['$_ts']||{};</script></html>`))
	}))
	t.Cleanup(srv.Close)
	hp := newHealthPoller(t, srv.URL)
	for range 3 {
		_, err := hp.pollNext(t)
		if watcher.FailureState(err) != alert.StateBlocked {
			t.Fatalf("err %v is not a challenge", err)
		}
	}
	status.Store(521)
	if _, err := hp.pollNext(t); watcher.FailureState(err) != alert.StateBlocked {
		t.Fatalf("521: %v", err)
	}
	if got := states(healthEvents(t, hp.js)); got != ">blocked" {
		t.Errorf("events %q, want one blocked", got)
	}
}

func TestHealthLayoutWhenAFeedEmpties(t *testing.T) {
	s := newSite(t, "rss2_utf8.xml")
	hp := newHealthPoller(t, s.srv.URL)
	hp.FailThreshold = 1
	if _, err := hp.pollNext(t); err != nil {
		t.Fatal(err)
	}
	s.set(t, "empty_channel.xml", `"empty"`)
	if _, err := hp.pollNext(t); watcher.FailureState(err) != alert.StateLayout {
		t.Fatalf("an emptied feed: %v, want a layout error", err)
	}
	if got := states(healthEvents(t, hp.js)); got != "ok>layout" {
		t.Errorf("events %q", got)
	}
}

func TestHealthStaleWhenNeverPolled(t *testing.T) {
	s := newSite(t, "rss2_utf8.xml")
	hp := newHealthPoller(t, s.srv.URL)
	hp.now = hp.Started.Add(2 * time.Minute)
	hp.CheckStale(t.Context())
	if evs := healthEvents(t, hp.js); len(evs) != 0 {
		t.Fatalf("stale too early: %s", states(evs))
	}
	hp.now = hp.Started.Add(4 * time.Minute)
	hp.CheckStale(t.Context())
	hp.CheckStale(t.Context()) // a second replica noticing it too
	evs := healthEvents(t, hp.js)
	if states(evs) != ">stale" || evs[0].Since != hp.Started.Add(3*time.Minute).Format(time.RFC3339Nano) {
		t.Fatalf("events %+v, want one stale since 3 intervals after start", evs)
	}
	if _, err := hp.pollNext(t); err != nil {
		t.Fatal(err)
	}
	if got := states(healthEvents(t, hp.js)); got != ">stale stale>ok" {
		t.Errorf("events %q", got)
	}
}

func TestHealthCancelledPollIsNoFailure(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { once.Do(func() { close(release) }); srv.Close() })
	hp := newHealthPoller(t, srv.URL)
	m := &countingMetrics{}
	hp.Metrics = m
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := hp.Poll(ctx); done <- err }()
	<-arrived
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to wrap context.Canceled", err)
	}
	st, _ := hp.Store.State(t.Context(), hp.Source.Name)
	if st.Failures != 0 || m.errors.Load() != 0 {
		t.Errorf("a cancelled poll counted as a failure: state %+v, %d errors", st, m.errors.Load())
	}
}
