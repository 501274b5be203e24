package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/wecom"
)

// fittingFake is a fakeNotifier whose messages carry at most fit(n) of n
// alerts, like a channel with a size limit.
type fittingFake struct {
	*fakeNotifier
	fit func(n int) int
}

func (f fittingFake) Fit(alerts ...alert.Alert) int { return f.fit(len(alerts)) }

var _ notifier.Fitter = fittingFake{}

func fitsAtMost(k int) func(int) int { return func(n int) int { return min(n, k) } }

// runSplitDigest stores as in the 08:00 window of a notifier named name,
// closes the window and waits until the window is empty.
func runSplitDigest(t *testing.T, c *bus.Conn, name string, n notifier.Notifier, m Metrics, as []alert.Alert) {
	t.Helper()
	clock := newTestClock(time.Date(2025, 3, 11, 7, 30, 0, 0, shanghai(t)))
	o := quick(name)
	o.Digest = digestAt(t, "0 8 * * *")
	o.MaxAttempts = 3
	o.clock = clock
	startRunner(t, c.JS, n, o, m)
	publish(t, c.JS, as...)
	waitFor(t, 10*time.Second, "alerts stored", func() bool { return storedCount(t, c, name) == len(as) })
	clock.advance(30 * time.Minute)
	waitFor(t, 15*time.Second, "window emptied", func() bool { return storedCount(t, c, name) == 0 })
}

func checkMarked(t *testing.T, c *bus.Conn, name string, want []string) {
	t.Helper()
	for _, id := range want {
		if !isMarked(t, c, name, id) {
			t.Errorf("alert %s: no delivered mark", id)
		}
	}
}

func TestDigestSplitWhenItDoesNotFit(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := fittingFake{newFake(), fitsAtMost(3)}
	m := &countingMetrics{}
	as := alertIDs("s", 7)
	runSplitDigest(t, c, "split", f, m, as)

	want := [][]string{ids(as[:3]), ids(as[3:6]), ids(as[6:])}
	if got := f.calls(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("messages %v, want %v", got, want)
	}
	if n := len(f.tries()); n != 3 {
		t.Errorf("%d sends, want 3", n)
	}
	checkMarked(t, c, "split", ids(as))
	if n := len(deadLetters(t, c.JS, "split")); n != 0 {
		t.Errorf("%d dead letters", n)
	}
	if s := m.snapshot(); s.delivered != 7 || s.failed != 0 {
		t.Errorf("metrics %+v", s)
	}
}

func TestDigestThatFitsIsOneMessage(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := fittingFake{newFake(), fitsAtMost(10)}
	as := alertIDs("o", 7)
	runSplitDigest(t, c, "fits", f, nil, as)
	if got := f.calls(); !slices.EqualFunc(got, [][]string{ids(as)}, slices.Equal) {
		t.Errorf("messages %v, want one with all 7", got)
	}
}

func TestDigestPartRetriedAlone(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	unavailable := notifier.Transient(503, 0, errors.New("unavailable"))
	f := fittingFake{newFake(nil, unavailable, unavailable), fitsAtMost(3)}
	m := &countingMetrics{}
	as := alertIDs("p", 7)
	runSplitDigest(t, c, "retry", f, m, as)

	if got := f.acceptedIDs(); !slices.Equal(got, ids(as)) {
		t.Errorf("accepted %v, want each once in order %v", got, ids(as))
	}
	var sent [][]string
	for _, a := range f.tries() {
		sent = append(sent, a.ids)
	}
	want := [][]string{ids(as[:3]), ids(as[3:6]), ids(as[3:6]), ids(as[3:6]), ids(as[6:])}
	if !slices.EqualFunc(sent, want, slices.Equal) {
		t.Errorf("sends %v, want %v: only the failed part retried", sent, want)
	}
	checkMarked(t, c, "retry", ids(as))
	if s := m.snapshot(); s.delivered != 7 || s.failed != 2 || s.dead != 0 {
		t.Errorf("metrics %+v", s)
	}
}

func TestDigestPartDeadLetteredKeepsWhatWasSent(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := fittingFake{newFake(nil, notifier.Permanent(400, errors.New("rejected"))), fitsAtMost(3)}
	m := &countingMetrics{}
	as := alertIDs("d", 7)
	runSplitDigest(t, c, "partdead", f, m, as)

	if got := f.acceptedIDs(); !slices.Equal(got, ids(as[:3])) {
		t.Errorf("accepted %v, want %v", got, ids(as[:3]))
	}
	checkMarked(t, c, "partdead", ids(as[:3]))
	if got := dlIDs(t, c, "partdead"); !slices.Equal(got, ids(as[3:])) {
		t.Errorf("dead letters %v, want only the unsent %v", got, ids(as[3:]))
	}
	if s := m.snapshot(); s.delivered != 3 || s.dead != 4 {
		t.Errorf("metrics %+v", s)
	}
}

func TestDigestFitOutOfRangeIsBounded(t *testing.T) {
	t.Parallel()
	for name, fit := range map[string]func(int) int{
		"zero": func(int) int { return 0 },
		"more": func(n int) int { return n + 5 },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := natstest.Start(t, "")
			f := fittingFake{newFake(), fit}
			as := alertIDs("b", 3)
			runSplitDigest(t, c, "bounded", f, nil, as)
			want := [][]string{ids(as)}
			if name == "zero" {
				want = [][]string{ids(as[:1]), ids(as[1:2]), ids(as[2:])}
			}
			if got := f.calls(); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("messages %v, want %v", got, want)
			}
			checkMarked(t, c, "bounded", ids(as))
		})
	}
}

// TestDigestThroughWeComLosesNothing is the reported loss: 12 alerts whose
// digest exceeds the robot's 4096 bytes. Every alert reaches the robot, in
// messages that leave none out.
func TestDigestThroughWeComLosesNothing(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var contents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		contents = append(contents, b.Markdown.Content)
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	n, err := wecom.New(wecom.Config{WebhookURL: srv.URL + "/cgi-bin/webhook/send?key=k"})
	if err != nil {
		t.Fatal(err)
	}
	c := natstest.Start(t, "")
	as := alertIDs("wc", 12)
	for i := range as {
		as[i].Title = fmt.Sprintf("潍坊市第%02d期食品安全抽检信息", i+1)
		as[i].Summary = strings.Repeat("抽检不合格。", 40)
	}
	runSplitDigest(t, c, "wecom", n, nil, as)

	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(contents, "\n")
	if len(contents) < 2 || strings.Contains(all, "未显示") {
		t.Errorf("%d messages, some leaving alerts out:\n%s", len(contents), all)
	}
	for _, a := range as {
		if strings.Count(all, a.Title) != 1 {
			t.Errorf("%q sent %d times, want once", a.Title, strings.Count(all, a.Title))
		}
	}
	for _, c := range contents {
		if len(c) > 4096 {
			t.Errorf("message of %d bytes", len(c))
		}
	}
	checkMarked(t, c, "wecom", ids(as))
}
