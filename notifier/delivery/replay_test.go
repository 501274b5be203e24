package delivery

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// deadLetterAll runs a notifier whose target always answers 400 until all
// alerts are in its dead-letter stream, then stops it.
func deadLetterAll(t *testing.T, c *bus.Conn, name string, as ...alert.Alert) {
	t.Helper()
	f := newFake()
	f.fallback = func(int) error { return notifier.Permanent(400, errors.New("bad request")) }
	stop := startRunner(t, c.JS, f, quick(name), nil)
	publish(t, c.JS, as...)
	waitFor(t, 10*time.Second, "dead letters", func() bool { return len(deadLetters(t, c.JS, name)) == len(as) })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, name) })
	stop()
}

func dlIDs(t *testing.T, c *bus.Conn, name string) []string {
	t.Helper()
	var out []string
	for _, m := range deadLetters(t, c.JS, name) {
		a, err := alert.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a.ID)
	}
	return out
}

func TestReplay(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	as := alertIDs("x", 3)
	deadLetterAll(t, c, "mail", as...)
	deadLetterAll(t, c, "other", mkAlert("y-01")) // another notifier's dead letters are left alone

	t.Run("failures stay and are reported", func(t *testing.T) {
		f := newFake(nil, notifier.Permanent(400, errors.New("still bad")), nil)
		sent, err := Replay(t.Context(), c.JS, f, "mail", testLogger(t))
		if sent != 2 || err == nil || !strings.Contains(err.Error(), "x-02") {
			t.Fatalf("Replay = %d, %v; want 2 and an error naming x-02", sent, err)
		}
		if got := f.acceptedIDs(); !slices.Equal(got, []string{"x-01", "x-03"}) {
			t.Errorf("accepted %v", got)
		}
		if got := dlIDs(t, c, "mail"); !slices.Equal(got, []string{"x-02"}) {
			t.Errorf("dead letters left %v, want [x-02]", got)
		}
	})
	t.Run("transient failure retried within replay", func(t *testing.T) {
		f := newFake(notifier.Transient(429, 50*time.Millisecond, errors.New("slow down")))
		sent, err := ReplayWith(t.Context(), c.JS, f, quick("mail"), testLogger(t))
		if sent != 1 || err != nil {
			t.Fatalf("Replay = %d, %v; want 1, nil", sent, err)
		}
		if got := dlIDs(t, c, "mail"); len(got) != 0 {
			t.Errorf("dead letters left %v", got)
		}
	})
	t.Run("nothing left", func(t *testing.T) {
		f := newFake()
		sent, err := Replay(t.Context(), c.JS, f, "mail", testLogger(t))
		if sent != 0 || err != nil || len(f.tries()) != 0 {
			t.Fatalf("Replay = %d, %v with %d sends; want nothing", sent, err, len(f.tries()))
		}
	})
	t.Run("replayed alerts are marked delivered", func(t *testing.T) {
		for _, a := range as {
			if !isMarked(t, c, "mail", a.ID) {
				t.Errorf("%s: no delivered mark", a.ID)
			}
		}
	})
	if got := dlIDs(t, c, "other"); !slices.Equal(got, []string{"y-01"}) {
		t.Errorf("other notifier's dead letters %v, want untouched", got)
	}
}

func TestReplaySkipsAlreadyDelivered(t *testing.T) {
	t.Parallel()
	// A replay interrupted after the send but before the delete: the next
	// replay removes the dead letter without sending it again.
	c := natstest.Start(t, "")
	deadLetterAll(t, c, "hook", alertIDs("z", 2)...)
	if err := stateOf(t, c, "hook").markDelivered(t.Context(), "z-01", time.Now()); err != nil {
		t.Fatal(err)
	}
	f := newFake()
	sent, err := Replay(t.Context(), c.JS, f, "hook", testLogger(t))
	if sent != 1 || err != nil {
		t.Fatalf("Replay = %d, %v; want 1, nil", sent, err)
	}
	if got := f.acceptedIDs(); !slices.Equal(got, []string{"z-02"}) {
		t.Errorf("accepted %v, want [z-02]", got)
	}
	if got := dlIDs(t, c, "hook"); len(got) != 0 {
		t.Errorf("dead letters left %v", got)
	}
}

func TestReplayRejectsBadName(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	if _, err := Replay(t.Context(), c.JS, newFake(), "Bad Name", nil); err == nil || !strings.Contains(err.Error(), "name:") {
		t.Fatalf("Replay error %v, want a name problem", err)
	}
}

func TestDigestDeadLettered(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	c := natstest.Start(t, "")
	f := newFake()
	f.fallback = func(int) error { return notifier.Transient(503, 0, errors.New("unavailable")) }
	m := &countingMetrics{}
	o := quick("doomed")
	o.Digest = digestAt(t, "0 8 * * *")
	o.MaxAttempts = 3
	o.clock = newTestClock(time.Date(2025, 3, 11, 7, 59, 59, 0, sh))
	startRunner(t, c.JS, f, o, m)
	as := alertIDs("g", 3)
	publish(t, c.JS, as...)

	waitFor(t, 10*time.Second, "dead letters", func() bool { return len(deadLetters(t, c.JS, "doomed")) == 3 })
	if got := dlIDs(t, c, "doomed"); !slices.Equal(got, ids(as)) {
		t.Errorf("dead letters %v, want %v", got, ids(as))
	}
	tries := f.tries()
	if len(tries) != 3 {
		t.Errorf("%d attempts, want 3 (the whole digest retried)", len(tries))
	}
	for _, a := range tries {
		if len(a.ids) != 3 {
			t.Errorf("attempt carried %v, want all 3 alerts in one message", a.ids)
		}
	}
	waitFor(t, 10*time.Second, "window emptied", func() bool { return storedCount(t, c, "doomed") == 0 })
	if s := m.snapshot(); s.dead != 3 || s.failed != 3 {
		t.Errorf("metrics %+v", s)
	}
	// And replay delivers them one by one.
	g := newFake()
	if sent, err := Replay(t.Context(), c.JS, g, "doomed", nil); sent != 3 || err != nil {
		t.Fatalf("Replay = %d, %v", sent, err)
	}
	if got := g.acceptedIDs(); !slices.Equal(got, ids(as)) {
		t.Errorf("replayed %v", got)
	}
}
