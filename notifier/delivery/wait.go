package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// sleep waits d or until ctx is done. It reports whether the whole wait
// passed, and otherwise how much of it was left.
func sleep(ctx context.Context, d time.Duration) (left time.Duration, ok bool) {
	if d <= 0 {
		return 0, ctx.Err() == nil
	}
	end := time.Now().Add(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return 0, true
	case <-ctx.Done():
		return max(time.Until(end), 0), false
	}
}

// heartbeat tells the server every period that msg is still being worked
// on (InProgress resets AckWait), until stop is called. stop returns once
// the heartbeat goroutine is gone, so msg may be settled safely after it.
func heartbeat(msg jetstream.Msg, every time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// waitQuiet waits for the quiet window to end, if the clock is inside one.
// When ctx ends first it returns false and how much of the window was left.
func (r *Runner) waitQuiet(ctx context.Context) (left time.Duration, ok bool) {
	logged := false
	for {
		now := r.o.Now()
		d := r.quiet.remaining(now)
		if d <= 0 {
			return 0, true
		}
		if !logged {
			r.log.Info("quiet hours, deferring", "until", now.Add(d).In(r.o.Location).Format(time.DateTime))
			logged = true
		}
		if _, ok := sleep(ctx, min(d, clockPoll)); !ok {
			return max(r.quiet.remaining(r.o.Now()), minNakDelay), false
		}
	}
}

// clockPoll is how often long waits look at the clock again, so that a
// clock that jumps (suspend, NTP, a test clock) is noticed within it.
const clockPoll = time.Second

// waitRate waits until the rate limit allows one more send and records it.
// It returns false when ctx ends first.
func (r *Runner) waitRate(ctx context.Context) bool {
	if r.limit == nil {
		return ctx.Err() == nil
	}
	for {
		d := r.limit.reserve(r.o.Now())
		if d <= 0 {
			return true
		}
		if _, ok := sleep(ctx, d); !ok {
			return false
		}
	}
}
