package watcher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HostLimiter makes sources polite: at most PerHost requests at a time to
// each host (list pages: one, Delay between the end of one and the start of
// the next; feeds: a few, no delay). Government sites answer fast crawls
// with 403s or empty pages. It is shared by every source of a daemon and
// safe for concurrent use.
type HostLimiter struct {
	Delay   time.Duration
	PerHost int // requests in flight to one host; 0: 1

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	turn chan struct{} // holds a token per request in flight
	last time.Time     // when the last request to the host ended; under HostLimiter.mu
}

func (h *HostLimiter) slot(host string) *hostSlot {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hosts == nil {
		h.hosts = map[string]*hostSlot{}
	}
	s, ok := h.hosts[host]
	if !ok {
		s = &hostSlot{turn: make(chan struct{}, max(h.PerHost, 1))}
		h.hosts[host] = s
	}
	return s
}

// wait is how long a request to s must still wait after the last one
// ended (none without a Delay: feeds keep no time).
func (h *HostLimiter) wait(s *hostSlot) time.Duration {
	if h.Delay <= 0 {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Until(s.last.Add(h.Delay))
}

// Acquire waits for host's turn and returns the function that ends it.
func (h *HostLimiter) Acquire(ctx context.Context, host string) (release func(), err error) {
	host = strings.ToLower(host)
	s := h.slot(host)
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, &NoTurnError{Host: host, Why: fmt.Sprintf("requests in flight at the limit (%d)", cap(s.turn)), Err: ctx.Err()}
	}
	if wait := h.wait(s); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-s.turn
			return nil, &NoTurnError{Host: host, Why: fmt.Sprintf("waiting %v after the last request to it", h.Delay), Err: ctx.Err()}
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if h.Delay > 0 {
				h.mu.Lock()
				s.last = time.Now()
				h.mu.Unlock()
			}
			<-s.turn
		})
	}, nil
}

// NoTurnError is a request that ended while waiting for its turn at a
// host: it never reached the site, so it must not read as the site being
// slow (a bare deadline would).
type NoTurnError struct {
	Host string
	Why  string // what it waited for
	Err  error  // the context's error
}

func (e *NoTurnError) Error() string {
	return fmt.Sprintf("no turn at %s: %s: %v", e.Host, e.Why, e.Err)
}

func (e *NoTurnError) Unwrap() error { return e.Err }

// politeTransport takes the host's turn for each request (redirects
// included) and gives it back when the body is closed.
type politeTransport struct {
	limiter *HostLimiter
	next    http.RoundTripper
}

func (t *politeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.limiter.Acquire(req.Context(), req.URL.Hostname())
	if err != nil {
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
