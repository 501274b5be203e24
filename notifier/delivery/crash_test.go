package delivery

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// target is a receiver that keeps what it accepts, per alert id, and can
// be made to answer one alert's first request slowly (hold: the daemon can
// die while it is answering) or to refuse it (refuse: with a Retry-After
// of an hour, so the daemon is waiting to retry when it dies).
type target struct {
	hold, refuse     string
	entered, release chan struct{} // hold: the request arrived; let it finish

	mu       sync.Mutex
	accepted map[string][]time.Time
	seen     map[string]int
}

func newTarget(hold, refuse string) *target {
	return &target{hold: hold, refuse: refuse, entered: make(chan struct{}), release: make(chan struct{}),
		accepted: map[string][]time.Time{}, seen: map[string]int{}}
}

func (tg *target) Notify(ctx context.Context, alerts ...alert.Alert) error {
	id := alerts[0].ID
	tg.mu.Lock()
	tg.seen[id]++
	first := tg.seen[id] == 1
	tg.mu.Unlock()
	switch {
	case first && id == tg.hold:
		close(tg.entered)
		<-tg.release
	case first && id == tg.refuse:
		return notifier.Transient(503, time.Hour, errors.New("busy"))
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.accepted[id] = append(tg.accepted[id], time.Now())
	return nil
}

// counts is how many times the target accepted each alert.
func (tg *target) counts() map[string]int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := map[string]int{}
	for id, at := range tg.accepted {
		out[id] = len(at)
	}
	return out
}

// requests is how many requests for the alert the target received.
func (tg *target) requests(id string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.seen[id]
}

// lastAccepted is when the target last accepted the alert (zero: never).
func (tg *target) lastAccepted(id string) time.Time {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if at := tg.accepted[id]; len(at) > 0 {
		return at[len(at)-1]
	}
	return time.Time{}
}

var _ notifier.Notifier = (*target)(nil)

// doomedRunner runs a Runner on its own connection to c's server, which
// the test closes abruptly to kill it: no nak, no ack, no mark reaches the
// server after that, as after kill -9. Whatever Run returns is ignored.
func doomedRunner(t *testing.T, c *bus.Conn, n notifier.Notifier, o Options) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(c.NC.Opts.InProcessServer), nats.Name(t.Name()+"-doomed"))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(js, n, o, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureConsumer(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		nc.Close()
		<-done
	})
	return nc
}

// TestCrashResumesWithinSeconds kills a runner the way kill -9 does (its
// connection closes with nothing settled) and starts another on a new
// connection, as a restarted daemon does. The alert the dead one held comes
// back within the ack wait, not after the 30 s it used to be, and every
// alert reaches the target once; twice only the one whose request the
// target was answering when the runner died.
func TestCrashResumesWithinSeconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// the dead runner was sending k-02 (answering), or waiting to
		// retry it after the target refused it (waiting)
		answering bool
		want      map[string]int
	}{
		{"while the target answers", true, map[string]int{"k-01": 1, "k-02": 2, "k-03": 1, "k-04": 1}},
		{"while waiting to retry", false, map[string]int{"k-01": 1, "k-02": 1, "k-03": 1, "k-04": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := natstest.Start(t, "")
			tg := newTarget("k-02", "k-02")
			if tc.answering {
				tg.refuse = ""
			} else {
				tg.hold = ""
			}
			o := quick("crash")
			o.BackoffInitial, o.BackoffMax = 0, 0 // defaults: the target's hour-long Retry-After holds k-02
			if o.AckWait = 0; withDefaults(o).AckWait != DefaultAckWait {
				t.Fatal("not the default ack wait")
			}
			ncA := doomedRunner(t, c, tg, o)
			publish(t, c.JS, alertIDs("k", 4)...)
			waitFor(t, 10*time.Second, "k-02 sent", func() bool { return tg.requests("k-02") == 1 })

			ncA.Close() // kill -9
			killed := time.Now()
			close(tg.release) // the target finishes answering a request whose sender is gone

			rec, err := stateOf(t, c, "crash").lookup(t.Context(), "k-02", true)
			if err != nil {
				t.Fatal(err)
			}
			if rec.sending != tc.answering {
				t.Errorf("send intent of k-02 recorded: %v, want %v", rec.sending, tc.answering)
			}

			startRunner(t, c.JS, tg, o, nil) // the restarted daemon
			waitFor(t, 30*time.Second, "k-02 sent again", func() bool { return tg.requests("k-02") == 2 })
			resumed := tg.lastAccepted("k-02").Sub(killed)
			t.Logf("delivery resumed %s after the kill (ack wait %s, heartbeat every %s)",
				resumed.Round(10*time.Millisecond), DefaultAckWait, heartbeatPeriod(DefaultAckWait))
			if limit := DefaultAckWait + 3*time.Second; resumed > limit {
				t.Errorf("delivery resumed %s after the kill, want within %s", resumed, limit)
			}
			waitFor(t, 10*time.Second, "all delivered", func() bool { return len(tg.counts()) == 4 })
			waitFor(t, 10*time.Second, "consumer settled", func() bool {
				info, err := consumerInfo(t, c.JS, "crash")
				return err == nil && info.NumPending == 0 && info.NumAckPending == 0
			})
			if got := tg.counts(); !maps.Equal(got, tc.want) {
				t.Errorf("target accepted %v, want %v", got, tc.want)
			}
		})
	}
}

func consumerInfo(t testing.TB, js jetstream.JetStream, name string) (*jetstream.ConsumerInfo, error) {
	t.Helper()
	c, err := js.Consumer(t.Context(), bus.AlertsStream, ConsumerName(name))
	if err != nil {
		return nil, err
	}
	return c.Info(t.Context())
}

// TestSlowTargetKeepsAlert: a target taking several ack waits to answer
// keeps its alert through the heartbeats. A second runner on the same
// consumer (another replica) never gets it, and it is delivered once.
func TestSlowTargetKeepsAlert(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	slow := newTarget("w-01", "")
	other := newTarget("", "")
	o := quick("slow")
	o.AckWait = time.Second
	startRunner(t, c.JS, slow, o, nil)
	publish(t, c.JS, mkAlert("w-01"))
	<-slow.entered
	held := time.Now()
	startRunner(t, c.JS, other, o, nil)
	// Through three and a half ack waits the server must not take the
	// alert back: watched on the consumer, not guessed.
	tick := time.NewTicker(o.AckWait / 4)
	defer tick.Stop()
	for time.Since(held) < 7*o.AckWait/2 {
		<-tick.C
		if info, err := consumerInfo(t, c.JS, "slow"); err == nil && info.NumRedelivered > 0 {
			t.Fatalf("the server redelivered the held alert after %s", time.Since(held).Round(time.Millisecond))
		}
	}
	close(slow.release)
	waitFor(t, 10*time.Second, "delivery", func() bool { return len(slow.counts())+len(other.counts()) == 1 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "slow") })
	if got := slow.counts(); !maps.Equal(got, map[string]int{"w-01": 1}) {
		t.Errorf("slow target accepted %v, want w-01 once", got)
	}
	if got := other.counts(); len(got) != 0 {
		t.Errorf("the other replica sent %v: the alert was redelivered while held", slices.Collect(maps.Keys(got)))
	}
}

// TestExistingConsumerGetsNewAckWait: a consumer created by an earlier
// version (30 s ack wait) is updated to the runner's.
func TestExistingConsumerGetsNewAckWait(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	r, err := New(c.JS, newFake(), quick("old"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := r.consumerConfig(0)
	old.AckWait = 30 * time.Second
	if _, err := c.JS.CreateConsumer(t.Context(), bus.AlertsStream, old); err != nil {
		t.Fatal(err)
	}
	if err := r.EnsureConsumer(t.Context()); err != nil {
		t.Fatal(err)
	}
	info, err := consumerInfo(t, c.JS, "old")
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.AckWait != DefaultAckWait {
		t.Errorf("ack wait %s, want %s", info.Config.AckWait, DefaultAckWait)
	}
}
