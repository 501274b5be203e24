package app

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// historyWindow is how far back the status page shows each source's polls.
const historyWindow = 24 * time.Hour

// maxMarks bounds the polls remembered per source (a poll every 30s for a
// day).
const maxMarks = 3000

// board is the daemon's in-memory view of its sources, fed by every poll
// (watcher.Observer): what the status page, /api/v1/sources and the summary
// log line show. A source polled by another replica shows the state that
// replica stored.
type board struct {
	mu      sync.Mutex
	sources map[string]*sourceView
	order   []string
}

// sourceView is one source as the status page shows it.
type sourceView struct {
	Name, Type, URL string
	Interval        time.Duration
	Last            watcher.Observation
	LastErr         string
	LastErrAt       time.Time
	Marks           []mark // polls of the last 24 hours, oldest first
}

// mark is one poll's outcome.
type mark struct {
	At     time.Time
	Result string
}

func newBoard() *board { return &board{sources: map[string]*sourceView{}} }

// set declares the sources in config order, keeping what is known of the
// ones that stay.
func (b *board) set(sources []sourceView) {
	b.mu.Lock()
	defer b.mu.Unlock()
	next := map[string]*sourceView{}
	b.order = b.order[:0]
	for _, s := range sources {
		v := b.sources[s.Name]
		if v == nil {
			v = &sourceView{}
		}
		v.Name, v.Type, v.URL, v.Interval = s.Name, s.Type, s.URL, s.Interval
		if v.Last.State == "" {
			v.Last = s.Last
		}
		next[s.Name] = v
		b.order = append(b.order, s.Name)
	}
	b.sources = next
}

// Observed records a poll.
func (b *board) Observed(source string, o watcher.Observation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.sources[source]
	if v == nil {
		return
	}
	v.Last = o
	if o.Err != "" {
		v.LastErr, v.LastErrAt = o.Err, o.At
	}
	v.Marks = append(v.Marks, mark{At: o.At, Result: o.Result})
	cut := 0
	for cut < len(v.Marks) && (o.At.Sub(v.Marks[cut].At) > historyWindow || len(v.Marks)-cut > maxMarks) {
		cut++
	}
	v.Marks = slices.Delete(v.Marks, 0, cut)
}

// snapshot copies every source's view, in config order.
func (b *board) snapshot() []sourceView {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]sourceView, 0, len(b.order))
	for _, n := range b.order {
		v := *b.sources[n]
		v.Marks = slices.Clone(v.Marks)
		out = append(out, v)
	}
	return out
}

// state is a source's state as shown: ok until something is known.
func (v sourceView) state() string {
	if v.Last.State == "" {
		return alert.StateOK
	}
	return v.Last.State
}

// summary is the line logged while anything is not ok: "sources: 14 ok,
// 2 failing (a, b), 1 blocked (c)"; "" when every source is ok.
func (b *board) summary() string {
	by := map[string][]string{}
	for _, v := range b.snapshot() {
		by[v.state()] = append(by[v.state()], v.Name)
	}
	if len(by[alert.StateOK]) == len(b.snapshot()) {
		return ""
	}
	parts := []string{fmt.Sprintf("%d ok", len(by[alert.StateOK]))}
	for _, s := range alert.States()[1:] {
		if n := by[s]; len(n) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", len(n), s, strings.Join(n, ", ")))
		}
	}
	return "sources: " + strings.Join(parts, ", ")
}

// summaryEvery is how often the summary line is logged while a source is
// not ok.
const summaryEvery = 15 * time.Minute

// logSummaries logs the summary line every period until done is closed.
func (b *board) logSummaries(done <-chan struct{}, period time.Duration, logger *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if s := b.summary(); s != "" {
				logger.Info(s)
			}
		}
	}
}
