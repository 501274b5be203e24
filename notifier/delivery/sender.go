package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

// sender sends one message (one alert, or one part of a digest) until the
// target accepts it. Before each attempt it waits out quiet hours and the
// rate limit; it retries transient failures after an exponential, jittered
// backoff (the Retry-After rule: a longer wait asked by the target wins, up
// to MaxRetryAfter) up to its attempts, and gives up at once on a permanent
// failure. Immediate delivery, digest parts and Replay all send through one,
// so they pace and retry alike.
type sender struct {
	n        notifier.Notifier
	name     string
	quiet    rhythm.Window // zero: never quiet
	limit    *limiter      // nil: unlimited
	attempts int
	initial  time.Duration
	maxDelay time.Duration
	maxWait  time.Duration // bounds each wait between attempts, Retry-After included
	clock    clock
	log      *slog.Logger
	m        Metrics
}

// newSender is the sender of a notifier with valid, defaulted options.
func newSender(n notifier.Notifier, o Options, log *slog.Logger, m Metrics) *sender {
	s := &sender{
		n: n, name: o.Name, quiet: o.QuietHours, attempts: o.MaxAttempts,
		initial: o.BackoffInitial, maxDelay: o.BackoffMax, maxWait: MaxRetryAfter,
		clock: o.clock, log: log, m: m,
	}
	if !o.Rate.IsZero() {
		s.limit = &limiter{n: o.Rate.N, per: o.Rate.Per}
	}
	return s
}

// result is the end of one send: delivered, undeliverable (dead-letter
// it), or interrupted (redeliver it after retryIn; err says why when it was
// not shutdown).
type result struct {
	kind     resultKind
	err      error
	attempts int
	retryIn  time.Duration
}

type resultKind int

const (
	resultDelivered resultKind = iota
	resultUndeliverable
	resultInterrupted
)

// journal records each attempt (see state): begin right before Notify, so
// that the send is known to have begun should the process die during it,
// and refused when the target answered with an error. *state is one.
type journal interface {
	begin(ctx context.Context, alerts []alert.Alert, attempt int, at time.Time) error
	refused(ctx context.Context, alerts []alert.Alert) error
}

// send delivers alerts as one message. ctx bounds the waits; notifyCtx is
// given to Notify (the runner lets it outlive ctx by ShutdownGrace, so that
// a request the target is processing is not cut off). j records each
// attempt; nil records nothing. A retry is logged only when its error
// differs from the previous one.
func (s *sender) send(ctx, notifyCtx context.Context, alerts []alert.Alert, j journal) result {
	log := s.log
	if len(alerts) == 1 {
		log = log.With("alert_id", alerts[0].ID)
	} else {
		log = log.With("alerts", len(alerts))
	}
	var lastErr string
	for attempt := 1; ; attempt++ {
		if left, ok := s.waitQuiet(ctx); !ok {
			return result{kind: resultInterrupted, retryIn: left}
		}
		if !s.waitRate(ctx) {
			return result{kind: resultInterrupted}
		}
		if j != nil {
			err := j.begin(ctx, alerts, attempt, s.clock.Now())
			if errors.Is(err, errDelivered) {
				log.Info("delivered meanwhile by another holder: not sent again")
				return result{kind: resultDelivered, attempts: attempt - 1}
			}
			if err != nil {
				// Without the intent a crash during the send would repeat
				// it unnoticed: wait for the state bucket instead.
				return result{kind: resultInterrupted, err: err, retryIn: s.initial}
			}
		}
		err := s.n.Notify(notifyCtx, alerts...)
		if err == nil {
			if attempt > 1 {
				log.Info("delivered after retries", "attempts", attempt)
			}
			return result{kind: resultDelivered, attempts: attempt}
		}
		if notifyCtx.Err() != nil {
			// Shutdown cut the send short: not the target's fault, and
			// the target may have the message, so the intent stays.
			return result{kind: resultInterrupted}
		}
		if j != nil {
			sctx, cancel := settleContext(ctx)
			if err := j.refused(sctx, alerts); err != nil {
				log.Debug("send intent kept", "err", err)
			}
			cancel()
		}
		permanent := notifier.IsPermanent(err)
		s.m.Failed(s.name, permanent)
		if permanent {
			return result{kind: resultUndeliverable, err: err, attempts: attempt}
		}
		if attempt >= s.attempts {
			return result{kind: resultUndeliverable, attempts: attempt,
				err: fmt.Errorf("gave up after %d attempts: %w", attempt, err)}
		}
		delay := min(backoff(s.initial, s.maxDelay, attempt, err), s.maxWait)
		if msg := err.Error(); msg != lastErr {
			log.Warn("delivery failed, will retry", "attempt", attempt, "retry_in", delay, "err", err)
			lastErr = msg
		}
		if left, ok := s.clock.Sleep(ctx, delay); !ok {
			return result{kind: resultInterrupted, retryIn: left}
		}
	}
}

// waitQuiet waits for the quiet window to end, if the clock is inside one.
// When ctx ends first it returns false and how much of the window was left.
func (s *sender) waitQuiet(ctx context.Context) (left time.Duration, ok bool) {
	logged := false
	for {
		now := s.clock.Now()
		d := s.quiet.Remaining(now)
		if d <= 0 {
			return 0, ctx.Err() == nil
		}
		if !logged {
			s.log.Info("quiet hours, deferring", "until", now.Add(d).In(s.quiet.Location()).Format(time.DateTime))
			logged = true
		}
		if _, ok := s.clock.Sleep(ctx, min(d, clockPoll)); !ok {
			return max(s.quiet.Remaining(s.clock.Now()), minNakDelay), false
		}
	}
}

// waitRate waits until the rate limit allows one more send and records it.
// It returns false when ctx ends first.
func (s *sender) waitRate(ctx context.Context) bool {
	if s.limit == nil {
		return ctx.Err() == nil
	}
	for {
		d := s.limit.reserve(s.clock.Now())
		if d <= 0 {
			return true
		}
		if _, ok := s.clock.Sleep(ctx, min(d, clockPoll)); !ok {
			return false
		}
	}
}

// backoff is the wait after the given failed attempt: initial doubled per
// attempt up to maxDelay, with equal jitter (between half and all of it),
// or the target's Retry-After (capped at MaxRetryAfter) when that is longer.
func backoff(initial, maxDelay time.Duration, attempt int, err error) time.Duration {
	d := initial
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	if d > 1 {
		d = d/2 + rand.N(d/2+1)
	}
	if ra, ok := notifier.RetryAfter(err); ok {
		d = max(d, min(ra, MaxRetryAfter))
	}
	return d
}

// limiter allows at most n sends in any window of length per (a sliding
// window log, not a token bucket: the Chinese work-chat robots count sends
// per rolling minute, and a bucket's burst would let twice the limit through
// in the first minute). It is in memory: a restart forgets past sends.
type limiter struct {
	n   int
	per time.Duration

	mu   sync.Mutex
	sent []time.Time // at most n, oldest first
}

// reserve records a send at now and returns zero when the limit allows it,
// or returns how long to wait before asking again.
func (l *limiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Forget sends that left the window.
	i := 0
	for i < len(l.sent) && !l.sent[i].After(now.Add(-l.per)) {
		i++
	}
	l.sent = l.sent[i:]
	if len(l.sent) < l.n {
		l.sent = append(l.sent, now)
		return 0
	}
	return l.sent[0].Add(l.per).Sub(now)
}
