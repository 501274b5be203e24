package watcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/listpage"
)

// A source's health, kept in its state and changed by each poll:
//
//   - ok: the last poll succeeded. The first ok of a source is not news.
//   - failing, layout, blocked: FailThreshold polls in a row failed; the
//     last failure says which. layout is a page or feed that yields no
//     entries or unreadable ones (a *listpage.LayoutError), blocked a web
//     application firewall's challenge; anything else is failing.
//   - stale: no successful poll for 3 intervals while nothing failed (every
//     poll skipped, or never run).
//
// A failing source is polled again after a backoff that doubles with each
// failure, with jitter, up to 8 intervals or 6 hours, whichever is less;
// never disabled, and back on its schedule at the first success. Each
// change of state is published once on qualitywatch.health.<source> and
// logged once: WARN when it goes wrong, INFO when it recovers.

// DefaultFailThreshold is how many failed polls in a row make a source
// failing (or layout, or blocked).
const DefaultFailThreshold = 3

// maxBackoff bounds the backoff of a failing source with a long interval.
const maxBackoff = 6 * time.Hour

// HealthPublisher puts a change of state on the health stream.
type HealthPublisher interface {
	PublishHealth(ctx context.Context, h alert.Health) error
}

// Observer hears of every poll, for the status page.
type Observer interface {
	Observed(source string, o Observation)
}

// Observation is one poll as the status page shows it.
type Observation struct {
	At        time.Time
	Result    string // ok, not_modified, error, skipped
	Err       string
	State     string
	Since     time.Time
	Failures  int
	LastOK    time.Time
	NotBefore time.Time
	Entries   int
	New       int // items published
}

// FailureState names the state a failed poll leads to.
func FailureState(err error) string {
	var le *listpage.LayoutError
	var ce *ChallengeError
	var he *HTTPError
	switch {
	case errors.As(err, &le):
		return alert.StateLayout
	case errors.As(err, &ce), errors.As(err, &he) && he.Challenge:
		return alert.StateBlocked
	}
	return alert.StateFailing
}

// track records the outcome of a poll in st and returns the change of
// state it makes, if any.
func (p *Poller) track(st *SourceState, now time.Time, err error) *alert.Health {
	prev := st.Health
	if err == nil {
		st.Failures, st.LastError, st.LastReason = 0, "", ""
		if prev == alert.StateOK {
			return nil
		}
		st.Health, st.Since = alert.StateOK, now
		if prev == "" {
			return nil // the first ok is not news
		}
		return p.event(*st, prev)
	}
	st.Failures++
	st.LastError, st.LastReason = err.Error(), Reason(err)
	if wait := p.backoff(st.Failures); wait > 0 {
		st.NotBefore = later(st.NotBefore, now.Add(wait))
	}
	next := FailureState(err)
	if st.Failures < p.threshold() || prev == next {
		return nil
	}
	st.Health, st.Since = next, now
	return p.event(*st, prev)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (p *Poller) threshold() int {
	if p.FailThreshold > 0 {
		return p.FailThreshold
	}
	return DefaultFailThreshold
}

// backoff is how long after its n-th failure in a row a source waits
// before its next poll: nothing after the first (the schedule's own
// interval applies), then 1, 3, 7 … intervals more, with up to a fifth
// more at random, up to 8 intervals or 6 hours in all.
func (p *Poller) backoff(n int) time.Duration {
	iv := p.Source.Interval
	if iv <= 0 || n < 2 {
		return 0
	}
	limit := min(8*iv, maxBackoff)
	wait := iv << min(n-1, 16)
	if wait <= 0 || wait > limit {
		wait = limit
	}
	wait += time.Duration(rand.Int64N(int64(wait)/5 + 1))
	// The poll is due at the first tick after the wait: leave half an
	// interval so that tick is not skipped by a hair.
	return wait - iv/2
}

// waitReason says why a poll was skipped.
func (st SourceState) waitReason() string {
	at := st.NotBefore.Format(time.RFC3339)
	if st.RetryAfter {
		return "the site asked to retry after " + at
	}
	return fmt.Sprintf("backing off after %d failed polls until %s", st.Failures, at)
}

// CheckStale loads the source's state and marks it stale when it has not
// been polled successfully for 3 intervals: the scheduler calls it on the
// ticks it does not poll (another replica holds the lease).
func (p *Poller) CheckStale(ctx context.Context) {
	st, err := p.Store.State(ctx, p.Source.Name)
	if err != nil {
		return
	}
	p.staleCheck(ctx, &st, p.now())
}

// staleCheck marks st stale (saving it and announcing the change) when it
// has had no successful poll for 3 intervals and nothing more specific is
// wrong. The moment it became stale is computed, not observed, so that
// replicas noticing it publish the same event.
func (p *Poller) staleCheck(ctx context.Context, st *SourceState, now time.Time) {
	iv := p.Source.Interval
	if iv <= 0 || st.Failures > 0 || (st.Health != alert.StateOK && st.Health != "") {
		return // failing polls are counted as such, not as staleness
	}
	last := st.LastOK
	if last.IsZero() || last.Before(p.Started) && !p.Started.IsZero() {
		last = later(last, p.Started)
	}
	if last.IsZero() || now.Sub(last) < 3*iv {
		return
	}
	prev := st.Health
	st.Health, st.Since = alert.StateStale, last.Add(3*iv)
	if err := p.Store.SaveState(ctx, p.Source.Name, *st); err != nil {
		p.Logger.Warn("save source state", "err", err)
	}
	p.announce(ctx, p.event(*st, prev), *st)
}

func (p *Poller) event(st SourceState, prev string) *alert.Health {
	return &alert.Health{
		Schema: alert.HealthSchema, Source: p.Source.Name, URL: redactURL(p.Source.URL),
		State: st.Health, Previous: prev, Since: st.Since.UTC().Format(time.RFC3339Nano),
		Error: st.LastError, Reason: st.LastReason, Failures: st.Failures,
	}
}

// Reason says what went wrong in a few words: "HTTP 412", "timeout", "no
// turn at www.example.gov.cn in time: …" (the poll never left),
// `select.item "li" matched nothing`, else the innermost error.
func Reason(err error) string {
	var he *HTTPError
	var le *listpage.LayoutError
	var ce *ChallengeError
	var re *RefusedError
	var nt *NoTurnError
	switch {
	case errors.As(err, &he):
		return fmt.Sprintf("HTTP %d", he.Status)
	case errors.As(err, &ce):
		return "HTTP 200 challenge page"
	case errors.As(err, &le):
		return fmt.Sprintf("%s %q %s", le.Key, le.Selector, le.Problem)
	case errors.As(err, &re):
		return re.Error()
	case errors.As(err, &nt):
		return "no turn at " + nt.Host + " in time: " + nt.Why
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	s := err.Error()
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return s
}

// announce logs a change of state once and publishes it.
func (p *Poller) announce(ctx context.Context, h *alert.Health, st SourceState) {
	if h == nil {
		return
	}
	if h.State == alert.StateOK {
		p.Logger.Info("source recovered", "previous", h.Previous, "since", st.Since)
	} else {
		p.Logger.Warn("source "+h.State, "previous", h.Previous, "failures", h.Failures, "err", h.Error)
	}
	if p.Events == nil {
		return
	}
	if err := p.Events.PublishHealth(context.WithoutCancel(ctx), *h); err != nil {
		p.Logger.Error("publish health event", "state", h.State, "err", err)
	}
}

// PublishHealth publishes a change of state on qualitywatch.health.<source>
// with Nats-Msg-Id set to its identity, so replicas noticing the same
// change publish it once.
func (p *Publisher) PublishHealth(ctx context.Context, h alert.Health) error {
	body, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode health event: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg := &nats.Msg{Subject: bus.HealthSubject(h.Source), Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, h.ID())
	if _, err := p.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish health event %s: %w", h.ID(), err)
	}
	return nil
}
