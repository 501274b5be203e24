package delivery

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

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

// parseRate reads "N/unit" where unit is s, sec, second, m, min, minute, h,
// hour, or a Go duration such as "90s".
func parseRate(s string) (*limiter, error) {
	count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return nil, fmt.Errorf("%q: want N/unit, e.g. 20/min", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("%q: count must be a positive integer", s)
	}
	var per time.Duration
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hr", "hour":
		per = time.Hour
	default:
		per, err = time.ParseDuration(strings.TrimSpace(unit))
		if err != nil || per <= 0 {
			return nil, fmt.Errorf("%q: unknown unit %q (want s, min, h or a duration)", s, unit)
		}
	}
	return &limiter{n: n, per: per}, nil
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
