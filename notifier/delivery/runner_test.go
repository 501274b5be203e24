package delivery

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/notifier"
)

func TestDeliverOnceAndAck(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	m := &countingMetrics{}
	startRunner(t, c.JS, f, quick("team"), m)
	as := alertIDs("a", 3)
	publish(t, c.JS, as...)

	want := ids(as)
	waitFor(t, 10*time.Second, "3 deliveries", func() bool { return len(f.acceptedIDs()) >= 3 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "team") })
	if got := f.acceptedIDs(); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want %v", got, want)
	}
	for _, a := range as {
		if !isMarked(t, c, "team", a.ID) {
			t.Errorf("no delivered mark for %s", a.ID)
		}
	}
	if s := m.snapshot(); s.delivered != 3 || s.failed != 0 {
		t.Errorf("metrics %+v", s)
	}
	// A republished alert (new message, same id, after the duplicate window
	// would have passed) is not delivered again.
	publishRaw(t, c.JS, bus.AlertSubject("weifang", "sampling"), "again-a-01", mustJSON(t, as[0]))
	sendSentinel(t, c.JS, f, "after-republish")
	if got := f.acceptedIDs(); len(got) != 3 {
		t.Fatalf("accepted %v after republish, want 3", got)
	}
}

func TestNewConsumerDeliversNew(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	publish(t, c.JS, mkAlert("before"))
	f := newFake()
	startRunner(t, c.JS, f, quick("late"), nil)
	publish(t, c.JS, mkAlert("after"))
	waitFor(t, 10*time.Second, "delivery", func() bool { return len(f.acceptedIDs()) >= 1 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "late") })
	if got := f.acceptedIDs(); !slices.Equal(got, []string{"after"}) {
		t.Fatalf("accepted %v, want [after]: a new notifier starts at its creation", got)
	}
}

func TestTransientThenSuccess(t *testing.T) {
	t.Parallel()
	tr := notifier.Transient(503, 0, errors.New("unavailable"))
	c := natstest.Start(t, "")
	f := newFake(tr, tr, nil, tr, nil)
	m := &countingMetrics{}
	startRunner(t, c.JS, f, quick("flaky"), m)
	as := alertIDs("t", 4)
	publish(t, c.JS, as...)

	waitFor(t, 10*time.Second, "4 deliveries", func() bool { return len(f.acceptedIDs()) >= 4 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "flaky") })
	if got, want := f.acceptedIDs(), ids(as); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want each once in order %v", got, want)
	}
	var tried []string
	for _, a := range f.tries() {
		tried = append(tried, a.ids...)
	}
	if want := []string{"t-01", "t-01", "t-01", "t-02", "t-02", "t-03", "t-04"}; !slices.Equal(tried, want) {
		t.Errorf("attempts %v, want %v (later alerts wait behind a failing one)", tried, want)
	}
	if s := m.snapshot(); s.failed != 3 || s.permanent != 0 || s.delivered != 4 || s.dead != 0 {
		t.Errorf("metrics %+v", s)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	const asked = 400 * time.Millisecond
	c := natstest.Start(t, "")
	f := newFake(notifier.Transient(429, asked, errors.New("too many requests")))
	startRunner(t, c.JS, f, quick("slow-down"), nil)
	publish(t, c.JS, mkAlert("r1"))

	waitFor(t, 10*time.Second, "delivery", func() bool { return len(f.acceptedIDs()) == 1 })
	tries := f.tries()
	if len(tries) != 2 {
		t.Fatalf("%d attempts, want 2", len(tries))
	}
	if gap := tries[1].at.Sub(tries[0].at); gap < asked {
		t.Errorf("retried after %s, target asked for %s", gap, asked)
	}
}

func TestDeadLetter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fail         error
		maxAttempts  int
		wantAttempts int
		wantReason   string
	}{
		{"permanent at once", notifier.Permanent(400, errors.New("bad request")), 5, 1, "permanent failure (status 400): bad request"},
		{"transient until max attempts", notifier.Transient(502, 0, errors.New("bad gateway")), 3, 3, "gave up after 3 attempts: transient failure (status 502): bad gateway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := natstest.Start(t, "")
			f := newFake()
			f.fallback = func(int) error { return tc.fail }
			m := &countingMetrics{}
			o := quick("dl")
			o.MaxAttempts = tc.maxAttempts
			startRunner(t, c.JS, f, o, m)
			as := alertIDs("d", 2)
			publish(t, c.JS, as...)

			waitFor(t, 10*time.Second, "2 dead letters", func() bool { return len(deadLetters(t, c.JS, "dl")) == 2 })
			// A terminated alert that came back would be tried before the
			// sentinel, which the target accepts.
			sendSentinel(t, c.JS, f, "after-dead-letters")
			waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "dl") })
			if got, want := len(f.tries()), 2*tc.wantAttempts; got != want {
				t.Errorf("%d attempts, want %d (terminated messages are not redelivered)", got, want)
			}
			for i, dl := range deadLetters(t, c.JS, "dl") {
				a, err := alert.Decode(dl.Data)
				if err != nil {
					t.Fatalf("dead letter body: %v", err)
				}
				if a.ID != as[i].ID {
					t.Errorf("dead letter %d is %s, want %s", i, a.ID, as[i].ID)
				}
				h := dl.Header
				if got := h.Get(bus.HeaderReason); got != tc.wantReason {
					t.Errorf("reason %q, want %q", got, tc.wantReason)
				}
				if got := h.Get(bus.HeaderNotifier); got != "dl" {
					t.Errorf("notifier header %q", got)
				}
				if got := h.Get("Nats-Msg-Id"); got != "dl:"+a.ID {
					t.Errorf("msg id %q", got)
				}
				if got := h.Get(HeaderAttempts); got != strconv.Itoa(tc.wantAttempts) {
					t.Errorf("attempts header %q, want %d", got, tc.wantAttempts)
				}
				if got := h.Get(HeaderSubject); got != bus.AlertSubject("weifang", "sampling") {
					t.Errorf("subject header %q", got)
				}
			}
			if s := m.snapshot(); s.dead != 2 || s.delivered != 1 { // the sentinel was delivered
				t.Errorf("metrics %+v", s)
			}
		})
	}
}

func TestUndecodableAlertDeadLettered(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	startRunner(t, c.JS, f, quick("strict"), nil)
	publishRaw(t, c.JS, bus.AlertSubject("weifang", "sampling"), "junk-1", []byte(`{"schema":"nope"}`))
	publish(t, c.JS, mkAlert("good"))
	waitFor(t, 10*time.Second, "delivery", func() bool { return len(f.acceptedIDs()) == 1 })
	dls := deadLetters(t, c.JS, "strict")
	if len(dls) != 1 || dls[0].Header.Get("Nats-Msg-Id") != "strict:junk-1" ||
		!strings.Contains(dls[0].Header.Get(bus.HeaderReason), "schema") {
		t.Fatalf("dead letters %+v", dls)
	}
}

func TestOutage(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	var down atomic.Bool
	down.Store(true)
	f := newFake()
	f.fallback = func(int) error {
		if down.Load() {
			return notifier.Transient(0, 0, errors.New("connection refused"))
		}
		return nil
	}
	o := quick("outage")
	o.MaxAttempts = 1000
	startRunner(t, c.JS, f, o, nil)
	as := alertIDs("o", 6)
	for i := range as {
		as[i].Source = []string{"qingdao", "yantai"}[i%2]
	}
	publish(t, c.JS, as...)
	waitFor(t, 10*time.Second, "the first alert retried while down", func() bool { return len(f.tries()) >= 4 })
	if got := f.acceptedIDs(); len(got) != 0 {
		t.Fatalf("accepted %v while down", got)
	}
	for _, a := range f.tries() {
		if !slices.Equal(a.ids, []string{"o-01"}) {
			t.Fatalf("tried %v while down: later alerts must wait behind the first", a.ids)
		}
	}
	down.Store(false)
	waitFor(t, 10*time.Second, "all delivered", func() bool { return len(f.acceptedIDs()) >= 6 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "outage") })
	if got, want := f.acceptedIDs(), ids(as); !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want each once in order %v", got, want)
	}
}

func TestRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c1 := natstest.Start(t, dir)
	f1 := newFake()
	delivered := make(chan struct{}, 16)
	f1.fallback = func(int) error { delivered <- struct{}{}; return nil }
	stop1 := startRunner(t, c1.JS, f1, quick("restart"), nil)
	as := alertIDs("s", 8)
	publish(t, c1.JS, as[:3]...)
	for range 3 {
		<-delivered
	}
	// The process dies with alerts still unsent.
	publish(t, c1.JS, as[3:]...)
	stop1()
	if err := c1.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	c2 := natstest.Start(t, dir)
	f2 := newFake()
	startRunner(t, c2.JS, f2, quick("restart"), nil)
	got := func() []string { return append(f1.acceptedIDs(), f2.acceptedIDs()...) }
	waitFor(t, 10*time.Second, "all delivered", func() bool { return len(got()) >= len(as) })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c2.JS, "restart") })
	if want := ids(as); !slices.Equal(got(), want) {
		t.Fatalf("accepted %v (before %v, after %v), want each once in order %v", got(), f1.acceptedIDs(), f2.acceptedIDs(), want)
	}
}

func TestDeliveredMarkPreventsResend(t *testing.T) {
	t.Parallel()
	// A crash after the target accepted and the mark was written, but before
	// the ack: the alert comes back and must not be sent again.
	c := natstest.Start(t, "")
	f := newFake()
	startRunner(t, c.JS, f, quick("marked"), nil)
	if err := stateOf(t, c, "marked").markDelivered(t.Context(), "m-01", time.Now()); err != nil {
		t.Fatal(err)
	}
	publish(t, c.JS, alertIDs("m", 2)...)
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "marked") && len(f.acceptedIDs()) == 1 })
	if got := f.acceptedIDs(); !slices.Equal(got, []string{"m-02"}) {
		t.Fatalf("accepted %v, want [m-02]", got)
	}
}

func TestShutdownIsBoundedAndKeepsAlert(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	f.fallback = func(int) error { return notifier.Transient(503, time.Hour, errors.New("down")) }
	stop := startRunner(t, c.JS, f, quick("stopper"), nil)
	publish(t, c.JS, mkAlert("held"))
	waitFor(t, 10*time.Second, "first attempt", func() bool { return len(f.tries()) == 1 })
	start := time.Now()
	stop() // the runner sleeps an hour for Retry-After; Run must not wait it out
	// Not a speed figure: the contract is ShutdownGrace, and the margin is
	// wide; an hour-long sleep would still fail here.
	if d := time.Since(start); d > ShutdownGrace+10*time.Second {
		t.Errorf("Run took %s to stop; the contract is %s", d, ShutdownGrace)
	}
	if n := len(deadLetters(t, c.JS, "stopper")); n != 0 {
		t.Errorf("%d dead letters: an interrupted retry must stay in the alerts stream", n)
	}
	if settled(t, c.JS, "stopper") {
		t.Errorf("consumer settled: the held alert was acked without delivery")
	}
}

func TestSeveralNotifiersEachWithOwnFilter(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	fw, fq, all := newFake(), newFake(), newFake()
	startRunner(t, c.JS, fw, Options{Name: "weifang", Match: Filter{Regions: []string{"weifang"}}}, nil)
	startRunner(t, c.JS, fq, Options{Name: "qingdao-recall", Match: Filter{Regions: []string{"qingdao"}, Categories: []string{"recall"}}}, nil)
	startRunner(t, c.JS, all, Options{Name: "all"}, nil)
	as := []alert.Alert{
		mkAlert("w1"),
		mkAlert("q1", func(a *alert.Alert) { a.Regions = []string{"qingdao"}; a.Categories = []string{"recall"} }),
		mkAlert("q2", func(a *alert.Alert) { a.Regions = []string{"qingdao"} }),
		mkAlert("wq", func(a *alert.Alert) {
			a.Regions = []string{"weifang", "qingdao"}
			a.Categories = []string{"award", "recall"}
		}),
	}
	publish(t, c.JS, as...)
	for _, name := range []string{"weifang", "qingdao-recall", "all"} {
		waitFor(t, 10*time.Second, name+" settled", func() bool { return settled(t, c.JS, name) })
	}
	for _, tc := range []struct {
		f    *fakeNotifier
		want []string
	}{{fw, []string{"w1", "wq"}}, {fq, []string{"q1", "wq"}}, {all, []string{"w1", "q1", "q2", "wq"}}} {
		if got := tc.f.acceptedIDs(); !slices.Equal(got, tc.want) {
			t.Errorf("accepted %v, want %v", got, tc.want)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	_, err := New(c.JS, newFake(), Options{Name: "Bad Name", MaxAttempts: -1}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "name:") || !strings.Contains(err.Error(), "max_attempts:") {
		t.Fatalf("New error %v, want name and max_attempts problems", err)
	}
	if strings.Contains(err.Error(), "notifier") {
		t.Errorf("New error %q names the notifier: its caller does", err)
	}
	if _, err := New(nil, newFake(), Options{Name: "ok"}, nil, nil); err == nil {
		t.Fatal("New without jetstream succeeded")
	}
}

func TestConsumerDeletedIsRecreated(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	startRunner(t, c.JS, f, quick("phoenix"), nil)
	publish(t, c.JS, mkAlert("p-01"))
	waitFor(t, 10*time.Second, "first delivery", func() bool { return len(f.acceptedIDs()) == 1 })
	if err := c.JS.DeleteConsumer(t.Context(), bus.AlertsStream, ConsumerName("phoenix")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "consumer recreated", func() bool {
		_, err := c.JS.Consumer(t.Context(), bus.AlertsStream, ConsumerName("phoenix"))
		return err == nil
	})
	publish(t, c.JS, mkAlert("p-02"))
	waitFor(t, 10*time.Second, "delivery after recreation", func() bool { return len(f.acceptedIDs()) == 2 })
}

// TestConsumerDeletedResumesWhereItWas: alerts published while the consumer
// is gone are delivered once it is back, each once, in order.
func TestConsumerDeletedResumesWhereItWas(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	startRunner(t, c.JS, f, quick("lazarus"), nil)
	publish(t, c.JS, mkAlert("l-01"), mkAlert("l-02"))
	waitFor(t, 10*time.Second, "first deliveries", func() bool { return len(f.acceptedIDs()) == 2 })
	waitFor(t, 10*time.Second, "consumer settled", func() bool { return settled(t, c.JS, "lazarus") })
	if err := c.JS.DeleteConsumer(t.Context(), bus.AlertsStream, ConsumerName("lazarus")); err != nil {
		t.Fatal(err)
	}
	publish(t, c.JS, mkAlert("l-03")) // while the consumer is gone
	waitFor(t, 10*time.Second, "consumer recreated", func() bool {
		_, err := c.JS.Consumer(t.Context(), bus.AlertsStream, ConsumerName("lazarus"))
		return err == nil
	})
	publish(t, c.JS, mkAlert("l-04"))
	sendSentinel(t, c.JS, f, "after-recreation")
	if got, want := f.acceptedIDs(), []string{"l-01", "l-02", "l-03", "l-04"}; !slices.Equal(got, want) {
		t.Fatalf("accepted %v, want each once in order %v", got, want)
	}
}

// TestNewConsumerPositionIsTheStreamEnd: a consumer created for a new notifier
// starts at the stream's end, and that is where it would be created again.
func TestNewConsumerPositionIsTheStreamEnd(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	publish(t, c.JS, alertIDs("old", 3)...)
	r, err := New(c.JS, newFake(), quick("fresh"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := r.ensureConsumer(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var p position
	p.start(cons)
	if got := p.resume(); got != 4 {
		t.Errorf("resume at %d, want 4: the history before the notifier is not its", got)
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	type step struct {
		seq  uint64
		done bool // acked or terminated; else naked
	}
	tests := []struct {
		name  string
		steps []step
		want  uint64
	}{
		{"nothing yet", nil, 11},
		{"acked in order", []step{{11, true}, {12, true}}, 13},
		{"a nak holds it", []step{{11, true}, {12, false}, {13, true}}, 12},
		{"the naked one acked later", []step{{11, false}, {12, true}, {11, true}}, 12},
		{"lowest nak wins", []step{{12, false}, {11, false}, {13, true}}, 11},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := position{floor: 10}
			for _, st := range tc.steps {
				p.settled(st.seq, st.done)
			}
			if got := p.resume(); got != tc.want {
				t.Errorf("resume = %d, want %d", got, tc.want)
			}
		})
	}
}

// blockingNotifier holds its first Notify until released.
type blockingNotifier struct {
	*fakeNotifier
	entered, release chan struct{}
	once             sync.Once
}

func (b *blockingNotifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
	}
	return b.fakeNotifier.Notify(ctx, alerts...)
}

// TestConsumerDeletedBetweenPulls: a consumer deleted while no pull is
// pending answers the next one with no responders, not "consumer deleted";
// the runner must still find it gone and create it again.
func TestConsumerDeletedBetweenPulls(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	b := &blockingNotifier{fakeNotifier: newFake(), entered: make(chan struct{}), release: make(chan struct{})}
	startRunner(t, c.JS, b, quick("between"), nil)
	publish(t, c.JS, mkAlert("b-01"))
	<-b.entered // the runner holds b-01: no pull is pending
	if err := c.JS.DeleteConsumer(t.Context(), bus.AlertsStream, ConsumerName("between")); err != nil {
		t.Fatal(err)
	}
	close(b.release)
	publish(t, c.JS, mkAlert("b-02"))
	waitFor(t, 10*time.Second, "delivery after recreation", func() bool { return len(b.acceptedIDs()) == 2 })
	if got := b.acceptedIDs(); !slices.Equal(got, []string{"b-01", "b-02"}) {
		t.Fatalf("accepted %v, want [b-01 b-02]", got)
	}
}
