package delivery

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
)

func TestQuietHoursDefer(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	clock := newTestClock(time.Date(2025, 3, 11, 6, 59, 58, 500e6, sh))
	end := time.Date(2025, 3, 11, 7, 0, 0, 0, sh)
	c := natstest.Start(t, "")
	f := newFake()
	f.clock = clock.Now
	o := quick("night")
	o.QuietHours = quietHours(t, "22:00-07:00")
	o.clock = clock
	o.AckWait = time.Second // the wait outlasts it: heartbeats must keep the alert
	startRunner(t, c.JS, f, o, nil)
	as := alertIDs("q", 2)
	publish(t, c.JS, as...)

	waitFor(t, 10*time.Second, "deliveries", func() bool { return len(f.acceptedIDs()) == 2 })
	waitFor(t, 10*time.Second, "consumer settled without redelivery", func() bool { return settled(t, c.JS, "night") })
	if got := f.acceptedIDs(); !slices.Equal(got, ids(as)) {
		t.Errorf("accepted %v, want %v", got, ids(as))
	}
	for _, a := range f.tries() {
		if a.at.Before(end) {
			t.Errorf("%v sent at %s, inside quiet hours ending %s", a.ids, a.at, end)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	clock := newTestClock(time.Date(2025, 3, 11, 12, 0, 0, 0, shanghai(t)))
	f := newFake()
	f.clock = clock.Now
	o := quick("robot")
	o.Rate = rate(t, "2/s")
	o.clock = clock
	startRunner(t, c.JS, f, o, nil)
	as := alertIDs("r", 5)
	publish(t, c.JS, as...)

	// Time passes only while the runner waits for the rate limit.
	waitFor(t, 10*time.Second, "deliveries", func() bool { clock.skip(); return len(f.acceptedIDs()) == 5 })
	waitFor(t, 10*time.Second, "consumer settled without redelivery", func() bool { return settled(t, c.JS, "robot") })
	if got := f.acceptedIDs(); !slices.Equal(got, ids(as)) {
		t.Errorf("accepted %v, want each once in order %v", got, ids(as))
	}
	tries := f.tries()
	const slack = 50 * time.Millisecond // from the limiter's reservation to the fake's clock reading
	for i := 2; i < len(tries); i++ {
		if gap := tries[i].at.Sub(tries[i-2].at); gap < time.Second-slack {
			t.Errorf("sends %d and %d only %s apart: more than 2 in a second", i-2, i, gap)
		}
	}
	if total := tries[len(tries)-1].at.Sub(tries[0].at); total < 2*time.Second-slack {
		t.Errorf("5 sends at 2/s took %s, want at least 2s", total)
	}
}

func TestDigestWindows(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	clock := newTestClock(time.Date(2025, 3, 11, 7, 59, 58, 0, sh))
	c := natstest.Start(t, "")
	f := newFake()
	m := &countingMetrics{}
	o := quick("hourly")
	o.Digest = digestAt(t, "0 * * * *")
	o.clock = clock
	startRunner(t, c.JS, f, o, m)
	first := alertIDs("w1", 3)
	publish(t, c.JS, first...)
	waitFor(t, 10*time.Second, "first digest", func() bool { return len(f.calls()) == 1 })
	if got := f.calls()[0]; !slices.Equal(got, ids(first)) {
		t.Fatalf("first digest %v, want %v", got, ids(first))
	}

	second := alertIDs("w2", 2)
	publish(t, c.JS, second...)
	waitFor(t, 10*time.Second, "second window stored", func() bool { return storedCount(t, c, "hourly") == 2 })
	nine := time.Date(2025, 3, 11, 9, 0, 0, 0, sh)
	waitFor(t, 10*time.Second, "the runner waiting for 09:00", func() bool {
		return windowDue(t, c, "hourly").Equal(nine) && clock.sleeping()
	})
	if n := len(f.calls()); n != 1 {
		t.Fatalf("%d digests before the window closed, want 1", n)
	}
	clock.advance(time.Hour) // 09:00 passes
	waitFor(t, 10*time.Second, "second digest", func() bool { return len(f.calls()) == 2 })
	if got := f.calls()[1]; !slices.Equal(got, ids(second)) {
		t.Fatalf("second digest %v, want %v", got, ids(second))
	}

	clock.advance(time.Hour) // an empty window sends nothing
	waitFor(t, 10*time.Second, "the 10:00 window closed", func() bool {
		return windowDue(t, c, "hourly").Equal(nine.Add(2*time.Hour)) && clock.sleeping()
	})
	if n := len(f.calls()); n != 2 {
		t.Errorf("%d digests, want 2: an empty window must not send", n)
	}
	if n := storedCount(t, c, "hourly"); n != 0 {
		t.Errorf("%d alerts still stored after their digest", n)
	}
	if s := m.snapshot(); s.delivered != 5 {
		t.Errorf("metrics %+v", s)
	}
}

func TestDigestAcrossRestart(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	dir := t.TempDir()
	o := quick("morning")
	o.Digest = digestAt(t, "0 8 * * *")

	c1 := natstest.Start(t, dir)
	f1 := newFake()
	o.clock = newTestClock(time.Date(2025, 3, 11, 7, 30, 0, 0, sh))
	stop1 := startRunner(t, c1.JS, f1, o, nil)
	as := alertIDs("m", 4)
	publish(t, c1.JS, as...)
	waitFor(t, 10*time.Second, "alerts stored", func() bool { return storedCount(t, c1, "morning") == 4 })
	stop1()
	if err := c1.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	c2 := natstest.Start(t, dir)
	f2 := newFake()
	clock := newTestClock(time.Date(2025, 3, 11, 7, 59, 59, 0, sh))
	o.clock = clock
	startRunner(t, c2.JS, f2, o, nil)
	waitFor(t, 10*time.Second, "the morning digest", func() bool { return len(f2.calls()) == 1 })
	if got := f2.calls()[0]; !slices.Equal(got, ids(as)) {
		t.Errorf("digest %v, want one message with %v", got, ids(as))
	}
	if n := len(f1.calls()); n != 0 {
		t.Errorf("first runner sent %d digests before its window closed", n)
	}
	clock.advance(24 * time.Hour)
	waitFor(t, 10*time.Second, "the next morning's window closed", func() bool {
		return windowDue(t, c2, "morning").Equal(time.Date(2025, 3, 13, 8, 0, 0, 0, sh)) && clock.sleeping()
	})
	if n := len(f2.calls()); n != 1 {
		t.Errorf("%d digests, want exactly 1", n)
	}
}

func TestDigestDeferredByQuietHours(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	clock := newTestClock(time.Date(2025, 3, 11, 5, 59, 59, 0, sh))
	c := natstest.Start(t, "")
	f := newFake()
	f.clock = clock.Now
	o := quick("dawn")
	o.Digest = digestAt(t, "0 * * * *")
	o.QuietHours = quietHours(t, "06:00-06:30")
	o.clock = clock
	startRunner(t, c.JS, f, o, nil)
	publish(t, c.JS, alertIDs("d", 2)...)
	waitFor(t, 10*time.Second, "alerts stored", func() bool { return storedCount(t, c, "dawn") == 2 })
	// 06:00 passes: the runner claims the window, then waits for quiet
	// hours to end.
	waitFor(t, 10*time.Second, "the 06:00 window claimed and deferred", func() bool {
		return windowDue(t, c, "dawn").Equal(time.Date(2025, 3, 11, 7, 0, 0, 0, sh)) && clock.sleeping()
	})
	if n := len(f.tries()); n != 0 {
		t.Fatalf("%d sends inside quiet hours", n)
	}
	clock.advance(30 * time.Minute)
	waitFor(t, 10*time.Second, "digest after quiet hours", func() bool { return len(f.calls()) == 1 })
	if at, end := f.tries()[0].at, time.Date(2025, 3, 11, 6, 30, 0, 0, sh); at.Before(end) {
		t.Errorf("digest sent at %s, before quiet hours ended at %s", at, end)
	}
	if got := f.calls()[0]; len(got) != 2 {
		t.Errorf("digest %v, want 2 alerts", got)
	}
}

// holdTwo starts notifier name's runner with a daily 08:00 digest at 07:00
// (Shanghai) and has it hold two alerts, prefix-01 and prefix-02, in its
// window.
func holdTwo(t *testing.T, c *bus.Conn, name, prefix string) (*fakeNotifier, func()) {
	t.Helper()
	o := quick(name)
	o.Digest = digestAt(t, "0 8 * * *")
	o.clock = newTestClock(time.Date(2025, 3, 11, 7, 0, 0, 0, shanghai(t)))
	f := newFake()
	stop := startRunner(t, c.JS, f, o, nil)
	publish(t, c.JS, alertIDs(prefix, 2)...)
	waitFor(t, 10*time.Second, "alerts stored", func() bool { return storedCount(t, c, name) == 2 })
	return f, stop
}

func TestDigestLeftoverSentWhenTurnedImmediate(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f1, stop := holdTwo(t, c, "switch", "h")
	stop()

	// The notifier loses its digest: what the window held goes out at once,
	// as one message, before anything newer.
	f2 := newFake()
	startRunner(t, c.JS, f2, quick("switch"), nil)
	publish(t, c.JS, mkAlert("h-03"))
	waitFor(t, 10*time.Second, "deliveries", func() bool { return len(f2.acceptedIDs()) == 3 })
	if got, want := f2.calls(), [][]string{{"h-01", "h-02"}, {"h-03"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("calls %v, want %v", got, want)
	}
	if n := len(f1.calls()); n != 0 {
		t.Errorf("digest runner sent %d messages before its window closed", n)
	}
}

// TestFollowUpRunnerLeavesDigestAlone: a notifier's runner of repost
// follow-ups (or health events) shares its name and state with its alerts
// runner, but never sends the alerts runner's digest window.
func TestFollowUpRunnerLeavesDigestAlone(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	digests, _ := holdTwo(t, c, "shared", "d")

	f := quick("shared")
	f.Reposts = true
	followUps := newFake()
	startRunner(t, c.JS, followUps, f, nil)
	// A follow-up delivered: the runner is past its start, where a leftover
	// window would have been sent.
	b, err := json.Marshal(mkAlert("f-01"))
	if err != nil {
		t.Fatal(err)
	}
	publishRaw(t, c.JS, bus.RepostSubject("weifang"), "f-01", b)
	waitFor(t, 10*time.Second, "the follow-up", func() bool { return len(followUps.acceptedIDs()) >= 1 })
	if got := followUps.calls(); len(got) != 1 || !slices.Equal(got[0], []string{"f-01"}) {
		t.Errorf("follow-up runner sent %v, want only the follow-up", got)
	}
	if n := storedCount(t, c, "shared"); n != 2 || len(digests.calls()) != 0 {
		t.Errorf("digest window: %d alerts held, %d digests sent; want 2 held, none sent before 08:00", n, len(digests.calls()))
	}
}
