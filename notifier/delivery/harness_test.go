package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

// fakeNotifier records every Notify. Attempts are answered from script in
// order, then with fallback (nil: accepted).
type fakeNotifier struct {
	mu        sync.Mutex
	clock     func() time.Time
	script    []error
	fallback  func(attempt int) error
	attempts  []attempt
	accepted  [][]alert.Alert
	sentinels []string // ids of sentinel alerts accepted (see sendSentinel)
}

type attempt struct {
	ids []string
	at  time.Time
	err error
}

func newFake(script ...error) *fakeNotifier {
	return &fakeNotifier{clock: time.Now, script: script}
}

func (f *fakeNotifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(alerts) == 1 && strings.HasPrefix(alerts[0].ID, sentinelPrefix) {
		f.sentinels = append(f.sentinels, alerts[0].ID)
		return nil
	}
	var err error
	switch n := len(f.attempts); {
	case n < len(f.script):
		err = f.script[n]
	case f.fallback != nil:
		err = f.fallback(n + 1)
	}
	f.attempts = append(f.attempts, attempt{ids: ids(alerts), at: f.clock(), err: err})
	if err == nil {
		f.accepted = append(f.accepted, slices.Clone(alerts))
	}
	return err
}

// acceptedIDs is every alert id accepted, flattened, in order.
func (f *fakeNotifier) acceptedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, as := range f.accepted {
		out = append(out, ids(as)...)
	}
	return out
}

func (f *fakeNotifier) calls() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out [][]string
	for _, as := range f.accepted {
		out = append(out, ids(as))
	}
	return out
}

func (f *fakeNotifier) tries() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.attempts)
}

func (f *fakeNotifier) gotSentinel(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.sentinels, id)
}

var _ notifier.Notifier = (*fakeNotifier)(nil)

// sentinelPrefix marks the id of a sentinel alert: the fake notifier
// accepts it at once and records it apart from the real alerts.
const sentinelPrefix = "sentinel-"

// sendSentinel publishes a sentinel after every alert published so far and
// waits until f got it. An immediate notifier keeps stream order and takes
// one alert at a time, so by then each earlier alert was settled for good:
// delivered, dead-lettered or filtered. The sentinel passes the default
// filter (it is a weifang sampling alert).
func sendSentinel(t testing.TB, js jetstream.JetStream, f *fakeNotifier, id string) {
	t.Helper()
	id = sentinelPrefix + id
	publish(t, js, mkAlert(id))
	waitFor(t, 10*time.Second, "sentinel "+id, func() bool { return f.gotSentinel(id) })
}

func ids(as []alert.Alert) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// countingMetrics records Metrics calls.
type countingMetrics struct {
	mu sync.Mutex
	c  counts
}

type counts struct{ delivered, failed, permanent, dead, fil int }

func (m *countingMetrics) Delivered(_ string, n int) { m.mu.Lock(); m.c.delivered += n; m.mu.Unlock() }
func (m *countingMetrics) Failed(_ string, p bool) {
	m.mu.Lock()
	m.c.failed++
	if p {
		m.c.permanent++
	}
	m.mu.Unlock()
}
func (m *countingMetrics) DeadLettered(string) { m.mu.Lock(); m.c.dead++; m.mu.Unlock() }
func (m *countingMetrics) Filtered(string)     { m.mu.Lock(); m.c.fil++; m.mu.Unlock() }

func (m *countingMetrics) snapshot() counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c
}

// testLogger logs to stderr with -v, else nowhere.
func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	if testing.Verbose() && os.Getenv("DELIVERY_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// mkAlert builds a valid v1 alert.
func mkAlert(id string, edit ...func(*alert.Alert)) alert.Alert {
	a := alert.Alert{
		Schema: alert.Schema, ID: id, Source: "weifang-news", Title: "title " + id,
		Link: "https://example.org/" + id, Detected: "2025-01-02T03:04:05Z", Summary: "summary",
		Score: 0.8, Categories: []string{"sampling"}, Regions: []string{"weifang"},
		Terms: []alert.Term{{Term: "抽检", Category: "sampling", Count: 2}},
	}
	for _, e := range edit {
		e(&a)
	}
	return a
}

func publish(t testing.TB, js jetstream.JetStream, as ...alert.Alert) {
	t.Helper()
	for _, a := range as {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		region, category := "other", "other"
		if len(a.Regions) > 0 {
			region = a.Regions[0]
		}
		if len(a.Categories) > 0 {
			category = a.Categories[0]
		}
		m := nats.NewMsg(bus.AlertSubject(region, category))
		m.Data = b
		if _, err := js.PublishMsg(t.Context(), m, jetstream.WithMsgID(a.ID)); err != nil {
			t.Fatalf("publish %s: %v", a.ID, err)
		}
	}
}

func publishRaw(t testing.TB, js jetstream.JetStream, subject, msgID string, body []byte) {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Data = body
	if _, err := js.PublishMsg(t.Context(), m, jetstream.WithMsgID(msgID)); err != nil {
		t.Fatalf("publish %s: %v", msgID, err)
	}
}

// startRunner runs a Runner until the test ends or stop is called; stop
// waits for Run to return and fails the test if it takes too long or errs.
func startRunner(t testing.TB, js jetstream.JetStream, n notifier.Notifier, o Options, m Metrics) (stop func()) {
	t.Helper()
	r, err := New(js, n, o, testLogger(t), m)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.EnsureConsumer(t.Context()); err != nil {
		t.Fatalf("EnsureConsumer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Errorf("Run did not return within 15s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settled reports whether the notifier's consumer has nothing pending and
// nothing waiting for an ack.
func settled(t testing.TB, js jetstream.JetStream, name string) bool {
	t.Helper()
	c, err := js.Consumer(t.Context(), bus.AlertsStream, ConsumerName(name))
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	info, err := c.Info(t.Context())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
}

// deadLetters returns the notifier's dead letters, oldest first.
func deadLetters(t testing.TB, js jetstream.JetStream, name string) []*jetstream.RawStreamMsg {
	t.Helper()
	s, err := js.Stream(t.Context(), bus.DeadLetterStream)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := uint64(1); ; {
		m, err := s.GetMsg(t.Context(), seq, jetstream.WithGetMsgSubject(bus.DeadLetterSubject(name)))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return out
		}
		if err != nil {
			t.Fatalf("read dead letters: %v", err)
		}
		out = append(out, m)
		seq = m.Sequence + 1
	}
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	return rhythm.China()
}

// digestAt, quietHours and rate compile rhythm settings as config does,
// in Asia/Shanghai.
func digestAt(t testing.TB, spec string) rhythm.Schedule {
	t.Helper()
	s, err := rhythm.ParseDigest(spec, shanghai(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func quietHours(t testing.TB, window string) rhythm.Window {
	t.Helper()
	w, err := rhythm.ParseWindow(window, shanghai(t))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func rate(t testing.TB, r string) rhythm.Rate {
	t.Helper()
	v, err := rhythm.ParseRate(r)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func alertIDs(prefix string, n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = mkAlert(fmt.Sprintf("%s-%02d", prefix, i+1))
	}
	return out
}

// quick are Options with short backoffs for tests.
func quick(name string) Options {
	return Options{Name: name, BackoffInitial: 10 * time.Millisecond, BackoffMax: 80 * time.Millisecond}
}

// stateOf is the notifier's share of the state bucket.
func stateOf(t testing.TB, c *bus.Conn, name string) *state {
	t.Helper()
	st, err := openState(t.Context(), c.JS, name)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func isMarked(t testing.TB, c *bus.Conn, name, alertID string) bool {
	t.Helper()
	done, err := stateOf(t, c, name).delivered(t.Context(), alertID)
	if err != nil {
		t.Fatal(err)
	}
	return done
}

// windowDue is when the notifier's digest window closes (zero: none).
func windowDue(t testing.TB, c *bus.Conn, name string) time.Time {
	t.Helper()
	d, _, err := stateOf(t, c, name).due(t.Context())
	if err != nil && !errors.Is(err, errNoWindow) {
		t.Fatal(err)
	}
	return d.Due
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testClock runs at real speed from start and can be moved forward. A
// move wakes every Sleep at once, so the runner notices it without polling,
// and the clock knows who sleeps until when, so a test can wait for the
// runner to be waiting rather than guess how long that takes.
type testClock struct {
	start, base time.Time

	mu       sync.Mutex
	offset   time.Duration
	moved    chan struct{} // closed and replaced by every advance
	sleepers map[int]time.Time
	next     int
}

func newTestClock(start time.Time) *testClock {
	return &testClock{start: start, base: time.Now(), moved: make(chan struct{}), sleepers: map[int]time.Time{}}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *testClock) now() time.Time { return c.start.Add(time.Since(c.base) + c.offset) }

func (c *testClock) Sleep(ctx context.Context, d time.Duration) (time.Duration, bool) {
	c.mu.Lock()
	end := c.now().Add(d)
	id := c.next
	c.next++
	c.sleepers[id] = end
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.sleepers, id)
		c.mu.Unlock()
	}()
	for {
		c.mu.Lock()
		left, moved := end.Sub(c.now()), c.moved
		c.mu.Unlock()
		if left <= 0 {
			return 0, ctx.Err() == nil
		}
		t := time.NewTimer(left)
		select {
		case <-t.C:
		case <-moved:
		case <-ctx.Done():
			t.Stop()
			return max(end.Sub(c.Now()), 0), false
		}
		t.Stop()
	}
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	close(c.moved)
	c.moved = make(chan struct{})
}

// sleeping reports whether someone waits on the clock.
func (c *testClock) sleeping() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers) > 0
}

// skip moves the clock to the end of the earliest Sleep in progress, if
// any: time passes only while the runner waits for it.
func (c *testClock) skip() {
	c.mu.Lock()
	var first time.Time
	for _, end := range c.sleepers {
		if first.IsZero() || end.Before(first) {
			first = end
		}
	}
	d := first.Sub(c.now())
	c.mu.Unlock()
	if !first.IsZero() && d > 0 {
		c.advance(d)
	}
}

var _ clock = (*testClock)(nil)

// storedCount is how many alerts wait in the notifier's digest window.
func storedCount(t testing.TB, c *bus.Conn, name string) int {
	t.Helper()
	st := stateOf(t, c, name)
	l, err := st.kv.ListKeysFiltered(t.Context(), st.itemFilter())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range l.Keys() {
		n++
	}
	return n
}
