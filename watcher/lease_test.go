package watcher

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

func TestSlotAt(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, spec, t, start, end, prev string
	}{
		{"every: the Unix grid, not the tick's phase", "@every 2s", "2026-12-01 10:00:01.300", "2026-12-01 10:00:00.000", "2026-12-01 10:00:02.000", "2026-12-01 09:59:58.000"},
		{"every: a tick on the boundary opens the next slot", "@every 2s", "2026-12-01 10:00:02.000", "2026-12-01 10:00:02.000", "2026-12-01 10:00:04.000", "2026-12-01 10:00:00.000"},
		{"every 10m", "@every 10m", "2026-12-01 10:17:00.000", "2026-12-01 10:10:00.000", "2026-12-01 10:20:00.000", "2026-12-01 10:00:00.000"},
		{"cron: from the last tick to the next", "0 9 * * *", "2026-12-01 08:30:00.000", "2026-11-30 09:00:00.000", "2026-12-01 09:00:00.000", "2026-11-29 09:00:00.000"},
		{"cron: a tick opens its slot", "0 9 * * *", "2026-12-01 09:00:00.010", "2026-12-01 09:00:00.000", "2026-12-02 09:00:00.000", "2026-11-30 09:00:00.000"},
		{"cron: uneven ticks", "0 9,17 * * *", "2026-12-01 12:00:00.000", "2026-12-01 09:00:00.000", "2026-12-01 17:00:00.000", "2026-11-30 17:00:00.000"},
		{"cron: every 10 minutes", "*/10 * * * *", "2026-12-01 10:17:00.000", "2026-12-01 10:10:00.000", "2026-12-01 10:20:00.000", "2026-12-01 10:00:00.000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sched, err := rhythm.ParseSchedule(tc.spec, sh)
			if err != nil {
				t.Fatal(err)
			}
			sl := slotAt(sched, at(tc.t))
			if !sl.start.Equal(at(tc.start)) || !sl.end.Equal(at(tc.end)) {
				t.Errorf("slot [%s, %s), want [%s, %s)", sl.start.In(sh), sl.end.In(sh), tc.start, tc.end)
			}
			if p := sl.prev(sched); !p.start.Equal(at(tc.prev)) || !p.end.Equal(sl.start) {
				t.Errorf("previous slot [%s, %s), want [%s, %s)", p.start.In(sh), p.end.In(sh), tc.prev, tc.start)
			}
		})
	}
}

func TestWholeSeconds(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0: time.Second, 300 * time.Millisecond: time.Second, 1600 * time.Millisecond: 2 * time.Second,
		2 * time.Second: 2 * time.Second, 5*time.Second + time.Nanosecond: 6 * time.Second,
	} {
		if got := wholeSeconds(in); got != want {
			t.Errorf("wholeSeconds(%s) = %s, want %s", in, got, want)
		}
	}
}

// Rendezvous hashing gives each of three replicas a fair share of many
// sources, and moves only the sources of a replica that leaves.
func TestRendezvousSpreadsAndMovesLittle(t *testing.T) {
	m := newMembers("a", nil, nil)
	now := time.Now()
	m.heard["b"], m.heard["c"] = now, now
	owner := map[string]string{}
	count := map[string]int{}
	for i := range 3000 {
		src := "source-" + string(rune('a'+i%26)) + "-" + time.Duration(i).String()
		best, bestScore := "", uint64(0)
		for _, r := range []string{"a", "b", "c"} {
			if sc := rendezvous(src, r); best == "" || sc > bestScore {
				best, bestScore = r, sc
			}
		}
		owner[src] = best
		count[best]++
		if m.owns(src, now) != (best == "a") {
			t.Fatalf("owns(%s) disagrees with the hash", src)
		}
	}
	for r, n := range count {
		if n < 850 || n > 1150 {
			t.Errorf("replica %s owns %d of 3000 sources, want about 1000", r, n)
		}
	}
	delete(m.heard, "c")
	for src, o := range owner {
		if o == "b" && m.owns(src, now) {
			t.Fatalf("%s moved from b, which is still there", src)
		}
	}
}

// Replicas racing for one slot: exactly one wins, the others lose without
// an error; a slot given back can be taken again.
func TestClaimOnePerSlot(t *testing.T) {
	conn := natstest.Start(t, "")
	store, err := OpenStore(t.Context(), conn.JS)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for i := range 8 {
		owner := fmt.Sprintf("r%d", i)
		wg.Go(func() {
			ok, err := store.Claim(t.Context(), "weifang-news", start, owner, 2*time.Second)
			if err != nil {
				t.Errorf("%s: %v", owner, err)
			}
			if ok {
				mu.Lock()
				won = append(won, owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("winners %v, want exactly one", won)
	}
	if ok, err := store.Claimed(t.Context(), "weifang-news", start); err != nil || !ok {
		t.Fatalf("claimed: %v %v", ok, err)
	}
	if ok, _ := store.Claim(t.Context(), "weifang-news", start, won[0], time.Second); ok {
		t.Error("the winner claimed its slot a second time")
	}
	if err := store.Unclaim(t.Context(), "weifang-news", start, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := store.Claimed(t.Context(), "weifang-news", start); !ok {
		t.Error("a replica that does not hold the slot gave it back")
	}
	if err := store.Unclaim(t.Context(), "weifang-news", start, won[0]); err != nil {
		t.Fatal(err)
	}
	if ok, err := store.Claim(t.Context(), "weifang-news", start, "r9", time.Second); err != nil || !ok {
		t.Errorf("slot given back, then claimed: %v %v", ok, err)
	}
}

type quietMetrics struct{}

func (quietMetrics) Polled(string, string, time.Time) {}
func (quietMetrics) ItemSeen(string)                  {}
func (quietMetrics) ItemPublished(string)             {}
func (quietMetrics) SourceHealth(string, string, int) {}

type noMatch struct{}

func (noMatch) Classify(string, string) alert.Verdict { return alert.Verdict{} }

// Two schedulers (two replicas, one host name) share six sources @every
// 1s: each source is polled at most once per second, by one replica or
// the other; when one stops, the other polls all of them.
func TestSchedulersShareSources(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two schedulers for a few seconds")
	}
	conn := natstest.Start(t, "")
	type hit struct {
		src, by string
		at      time.Time
	}
	var mu sync.Mutex
	var hits []hit
	polled := make(chan struct{}, 1) // a poll came: conditions are checked again
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, hit{strings.Trim(r.URL.Path, "/"), r.UserAgent(), time.Now()})
		mu.Unlock()
		select {
		case polled <- struct{}{}:
		default:
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>x</title><link>http://example.org/1</link></item></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	every, err := rhythm.ParseSchedule("@every 1s", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(owner string) *Scheduler {
		store, err := OpenStore(t.Context(), conn.JS)
		if err != nil {
			t.Fatal(err)
		}
		var jobs []Job
		for i := range 6 {
			name := fmt.Sprintf("s%d", i)
			jobs = append(jobs, Job{Schedule: every, Poller: &Poller{
				Source:  Source{Name: name, URL: srv.URL + "/" + name, Timeout: 5 * time.Second, Baseline: true, Interval: time.Second},
				Fetcher: &Fetcher{UserAgent: owner}, Store: store, Publisher: NewPublisher(conn.JS),
				Classifier: noMatch{}, Metrics: quietMetrics{}, Logger: logger,
			}})
		}
		s := NewScheduler(logger, time.UTC, owner)
		s.Start(t.Context(), jobs)
		return s
	}
	a, b := start("a"), start("b")
	polledAfter := func(since time.Time, n int) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			per := map[string]int{}
			for _, h := range hits {
				if h.at.After(since) {
					per[h.src]++
				}
			}
			for i := range 6 {
				if per[fmt.Sprintf("s%d", i)] < n {
					return false
				}
			}
			return true
		}
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for !cond() {
			select {
			case <-polled:
			case <-timeout:
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	began := time.Now()
	wait("5 polls of each source", polledAfter(began, 5))
	stopping := time.Now()
	<-b.Stop().Done()
	b.ReleaseLeases(t.Context())
	stopped := time.Now()
	wait("3 polls of each source after one replica stopped", polledAfter(stopped, 3))
	<-a.Stop().Done()
	a.ReleaseLeases(t.Context())

	mu.Lock()
	defer mu.Unlock()
	slots := map[string][]string{}
	by := map[string]int{}
	for _, h := range hits {
		k := fmt.Sprintf("%s@%d", h.src, h.at.Unix())
		slots[k] = append(slots[k], h.by)
		if h.at.After(began) && h.at.Before(stopping) {
			by[h.by]++
		}
		if h.at.After(stopped) && h.by != "a" {
			t.Errorf("%s polled by %s after it stopped", h.src, h.by)
		}
	}
	for k, who := range slots {
		if len(who) > 1 {
			t.Errorf("%s polled %d times in one second, by %v", k, len(who), who)
		}
	}
	if by["a"] == 0 || by["b"] == 0 {
		t.Errorf("polls by replica: %v; want both to share the sources", by)
	}
}
