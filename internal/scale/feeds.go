package scale

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Mode is how the feed server answers.
type Mode string

// The modes of the feed server.
const (
	// Mode304 answers a conditional GET whose If-None-Match is the feed's
	// ETag with 304 Not Modified; the first request gets the body.
	Mode304 Mode = "304"
	// ModeNew brings New entries never served before at every request
	// (the first request is the feed's baseline); no validators.
	ModeNew Mode = "new"
	// ModeStatic serves the same body (Items entries) at every request,
	// without ETag or Last-Modified.
	ModeStatic Mode = "static-no-etag"
)

// ParseMode reads a mode's name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Mode304, ModeNew, ModeStatic:
		return m, nil
	}
	return "", fmt.Errorf("mode %q: want %s, %s or %s", s, Mode304, ModeNew, ModeStatic)
}

// FeedOptions configure the feed server.
type FeedOptions struct {
	Mode  Mode
	Feeds int // feeds served, at /f/0 ... /f/<Feeds-1>
	Items int // entries in a body
	New   int // ModeNew: entries new at each request (at most Items)
	// MatchEvery makes one entry in MatchEvery a quality notice that the
	// classifier alerts on; the others are neutral government news (0:
	// none alerts).
	MatchEvery int
	// Interval is the daemon's configured interval: schedule lag is the
	// gap between two requests for a feed minus it.
	Interval time.Duration
	Now      func() time.Time // nil: time.Now
}

// Feeds serves the feeds (GET /f/<n>), a sample body for the anchor (GET
// /sample), receives webhook alerts (POST /hook) and reports what it saw
// (GET /stats, a ServerStats in JSON). It is an http.Handler.
type Feeds struct {
	opts   FeedOptions
	static []byte // ModeStatic's body

	mu       sync.Mutex
	feeds    []feedState
	lag      []time.Duration // gaps after a feed's second request, minus the interval
	firstGap []time.Duration // gap between a feed's first and second request, minus the interval
	served   map[string]time.Time
	latency  []time.Duration
	counts   ServerCounts
}

type feedState struct {
	requests int
	first    time.Time
	last     time.Time
}

// NewFeeds returns the feed server.
func NewFeeds(opts FeedOptions) (*Feeds, error) {
	if opts.Feeds < 1 || opts.Items < 1 {
		return nil, fmt.Errorf("feeds: want at least one feed of one entry, got %d feeds of %d", opts.Feeds, opts.Items)
	}
	if opts.Mode == ModeNew && (opts.New < 1 || opts.New > opts.Items) {
		return nil, fmt.Errorf("feeds: new entries per request %d: want 1..%d", opts.New, opts.Items)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Feeds{opts: opts, feeds: make([]feedState, opts.Feeds), served: map[string]time.Time{}}
	if opts.Mode == ModeStatic {
		f.static = f.body(0, opts.Items-1)
	}
	return f, nil
}

// ServeHTTP routes the server's endpoints.
func (f *Feeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/f/"):
		f.serveFeed(w, r)
	case r.URL.Path == "/hook" && r.Method == http.MethodPost:
		f.hook(w, r)
	case r.URL.Path == "/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(f.Stats(r.URL.Query().Has("counts")))
	case r.URL.Path == "/sample":
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write(f.Sample())
	default:
		http.NotFound(w, r)
	}
}

// Sample is a body as a poll with new entries (or, in the other modes, any
// poll that is not answered 304) gets it: the anchor parses it.
func (f *Feeds) Sample() []byte {
	if f.opts.Mode == ModeStatic {
		return f.static
	}
	return f.body(0, f.top(5))
}

// top is the newest entry's sequence number at a feed's request number n
// (0-based).
func (f *Feeds) top(n int) int {
	if f.opts.Mode != ModeNew {
		return f.opts.Items - 1
	}
	return f.opts.Items - 1 + n*f.opts.New
}

func (f *Feeds) serveFeed(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
	if err != nil || n < 0 || n >= f.opts.Feeds {
		http.NotFound(w, r)
		return
	}
	now := f.opts.Now()
	etag := fmt.Sprintf(`"f%d-v1"`, n)
	f.mu.Lock()
	st := &f.feeds[n]
	req := st.requests
	switch {
	case req == 0:
		st.first = now
	case req == 1:
		f.firstGap = append(f.firstGap, now.Sub(st.last)-f.opts.Interval)
	default:
		f.lag = append(f.lag, now.Sub(st.last)-f.opts.Interval)
	}
	st.requests++
	st.last = now
	f.counts.Requests++
	notModified := f.opts.Mode == Mode304 && r.Header.Get("If-None-Match") == etag
	if notModified {
		f.counts.NotModified++
	} else {
		f.counts.Bodies++
	}
	if f.opts.Mode == ModeNew && req > 0 {
		f.counts.NewItems += int64(f.opts.New)
	}
	f.mu.Unlock()

	if notModified {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var body []byte
	switch f.opts.Mode {
	case ModeStatic:
		body = f.static
	case Mode304:
		body = f.body(n, f.top(0))
		w.Header().Set("ETag", etag)
	case ModeNew:
		top := f.top(req)
		body = f.body(n, top)
		if req > 0 {
			f.mu.Lock()
			for seq := top - f.opts.New + 1; seq <= top; seq++ {
				if f.alerts(seq) {
					f.served[entryLink(n, seq)] = now
				}
			}
			f.mu.Unlock()
		}
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
	f.mu.Lock()
	f.counts.BytesServed += int64(len(body))
	f.mu.Unlock()
}

// hookAlert is what the harness reads of a webhook body: a single alert,
// or a digest of several.
type hookAlert struct {
	Link   string      `json:"link"`
	Alerts []hookAlert `json:"alerts"`
}

func (f *Feeds) hook(w http.ResponseWriter, r *http.Request) {
	now := f.opts.Now()
	var a hookAlert
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&a); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	links := []string{a.Link}
	if len(a.Alerts) > 0 {
		links = links[:0]
		for _, x := range a.Alerts {
			links = append(links, x.Link)
		}
	}
	f.mu.Lock()
	for _, l := range links {
		f.counts.Alerts++
		at, ok := f.served[l]
		if !ok {
			f.counts.AlertsUnknown++ // a baseline entry, or one already alerted
			continue
		}
		delete(f.served, l)
		f.latency = append(f.latency, now.Sub(at))
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// ServerCounts are the feed server's counters.
type ServerCounts struct {
	// CPUSeconds is the feed server process's own CPU time (user+system).
	CPUSeconds  float64 `json:"cpu_seconds"`
	Requests    int64   `json:"requests"`
	NotModified int64   `json:"not_modified"`
	Bodies      int64   `json:"bodies"`
	BytesServed int64   `json:"bytes_served"`
	// NewItems counts entries served for the first time after a feed's
	// first (baseline) response.
	NewItems      int64 `json:"new_items"`
	Alerts        int64 `json:"alerts"`
	AlertsUnknown int64 `json:"alerts_unknown"`
}

// ServerStats is what the feed server saw.
type ServerStats struct {
	Counts ServerCounts `json:"counts"`
	// FeedsPolled is how many feeds were requested at least once;
	// StartupSpread the time from the first feed's first request to the
	// last feed's first request.
	FeedsPolled   int     `json:"feeds_polled"`
	StartupSpread float64 `json:"startup_spread_s"`
	// Lag is the schedule lag once a feed's cron schedule runs (its
	// third and later requests); FirstGap the gap from the start-up poll
	// to the first scheduled one, minus the interval.
	Lag      Dist `json:"lag"`
	FirstGap Dist `json:"first_gap"`
	// AlertLatency is from the response that first carried an entry to
	// the webhook alert for it; AlertsPending counts alert-worthy entries
	// served whose alert has not come.
	AlertLatency  Dist `json:"alert_latency"`
	AlertsPending int  `json:"alerts_pending"`
}

// Stats reports what the server saw; countsOnly skips the distributions.
func (f *Feeds) Stats(countsOnly bool) ServerStats {
	cpu, _ := CPUTime()
	f.mu.Lock()
	defer f.mu.Unlock()
	s := ServerStats{Counts: f.counts}
	s.Counts.CPUSeconds = cpu.Seconds()
	if countsOnly {
		return s
	}
	var first, last time.Time
	for _, st := range f.feeds {
		if st.requests == 0 {
			continue
		}
		s.FeedsPolled++
		if first.IsZero() || st.first.Before(first) {
			first = st.first
		}
		if st.first.After(last) {
			last = st.first
		}
	}
	s.StartupSpread = last.Sub(first).Seconds()
	s.Lag = Distribution(f.lag)
	s.FirstGap = Distribution(f.firstGap)
	s.AlertLatency = Distribution(f.latency)
	s.AlertsPending = len(f.served)
	return s
}
