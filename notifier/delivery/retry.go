package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// result is the end of one delivery: sent, undeliverable (dead-letter it),
// or interrupted by shutdown (redeliver it after retryIn).
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

// deliver sends alerts as one message until the target accepts it, a
// permanent failure or MaxAttempts transient ones make it undeliverable, or
// ctx ends. Before each attempt it waits out quiet hours and the rate limit.
// A retry is logged only when its error differs from the previous one.
func (s *session) deliver(ctx context.Context, alerts []alert.Alert) result {
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
		err := s.n.Notify(s.sendCtx, alerts...)
		if err == nil {
			if attempt > 1 {
				log.Info("delivered after retries", "attempts", attempt)
			}
			return result{kind: resultDelivered, attempts: attempt}
		}
		if s.sendCtx.Err() != nil { // shutdown cut the send short: not the target's fault
			return result{kind: resultInterrupted}
		}
		permanent := notifier.IsPermanent(err)
		s.m.Failed(s.o.Name, permanent)
		if permanent {
			return result{kind: resultUndeliverable, err: err, attempts: attempt}
		}
		if attempt >= s.o.MaxAttempts {
			return result{kind: resultUndeliverable, attempts: attempt,
				err: fmt.Errorf("gave up after %d attempts: %w", attempt, err)}
		}
		delay := backoff(s.o.BackoffInitial, s.o.BackoffMax, attempt, err)
		if msg := err.Error(); msg != lastErr {
			log.Warn("delivery failed, will retry", "attempt", attempt, "retry_in", delay, "err", err)
			lastErr = msg
		}
		if left, ok := sleep(ctx, delay); !ok {
			return result{kind: resultInterrupted, retryIn: left}
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
