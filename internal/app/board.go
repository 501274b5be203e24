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

// stripSlots is how many cells a source's 24-hour strip has (one per pixel
// of the status page's strip: 6 minutes each). A cell keeps the most
// notable result of the polls in it, so a source's history is a fixed
// size however often it is polled: 5,000 sources polled every 30 seconds
// held hundreds of MB as one mark per poll.
const stripSlots = 240

// slotSeconds is the time one cell covers.
const slotSeconds = int64(historyWindow/time.Second) / stripSlots

// pollResults are the results a cell can hold, least notable first: an
// error in a cell shows whatever else happened in it.
var pollResults = []string{"skipped", "not_modified", "ok", "error"}

// strip is a source's polls of the last 24 hours, in cells of slotSeconds.
type strip struct {
	slot   [stripSlots]uint32 // the cell's slot (unix seconds / slotSeconds); 0: empty
	result [stripSlots]uint8  // 1 + index in pollResults
}

// add records a poll's result in its cell.
func (s *strip) add(at time.Time, result string) {
	code := uint8(1) // unknown results show as skipped
	if i := slices.Index(pollResults, result); i >= 0 {
		code = uint8(i + 1)
	}
	n := uint32(at.Unix() / slotSeconds)
	i := n % stripSlots
	if s.slot[i] != n {
		s.slot[i], s.result[i] = n, code
		return
	}
	s.result[i] = max(s.result[i], code)
}

// cell is one cell of a strip as drawn.
type cell struct {
	At     time.Time // the start of the cell
	Result string
}

// cells returns the cells of the 24 hours before now that saw a poll,
// oldest first.
func (s *strip) cells(now time.Time) []cell {
	var out []cell
	last := uint32(now.Unix() / slotSeconds)
	for n := last - stripSlots + 1; n <= last; n++ {
		i := n % stripSlots
		if s.slot[i] == n && s.result[i] > 0 {
			out = append(out, cell{At: time.Unix(int64(n)*slotSeconds, 0), Result: pollResults[s.result[i]-1]})
		}
	}
	return out
}

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
	Polls           strip // polls of the last 24 hours
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
			v.Last, v.LastErr = s.Last, s.LastErr
		}
		next[s.Name] = v
		b.order = append(b.order, s.Name)
	}
	b.sources = next
}

// knows reports whether the board knows the source's state already (set
// keeps it; a source it does not know takes the state given).
func (b *board) knows(source string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.sources[source]
	return ok && v.Last.State != ""
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
	v.Polls.add(o.At, o.Result)
}

// snapshot copies every source's view, in config order.
func (b *board) snapshot() []sourceView {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]sourceView, 0, len(b.order))
	for _, n := range b.order {
		out = append(out, *b.sources[n])
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
	all := b.snapshot()
	for _, v := range all {
		by[v.state()] = append(by[v.state()], v.Name)
	}
	if len(by[alert.StateOK]) == len(all) {
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
