package delivery

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// clock is the time a runner paces by: quiet hours, the rate limit, the
// waits between retries and digest windows. The real one is the wall clock;
// tests use one they can move. Waits on the server (pull retries, consumer
// recreation) and heartbeats use real time, as the server does.
type clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done. It reports whether the whole
	// wait passed, and otherwise how much of it was left.
	Sleep(ctx context.Context, d time.Duration) (left time.Duration, ok bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) (time.Duration, bool) {
	return sleep(ctx, d)
}

// clockPoll is how often long waits look at the clock again, so that a
// clock that jumps (suspend, NTP, a test clock) is noticed within it.
const clockPoll = time.Second

// sleep waits d of real time or until ctx is done. It reports whether the
// whole wait passed, and otherwise how much of it was left.
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
