package watcher

import (
	"hash/fnv"
	"time"

	"github.com/robfig/cron/v3"
)

// Phased spreads sources that run "@every <interval>": cron runs such a
// schedule every interval from the moment it was added, so thousands of
// sources added together would all poll in the same second, every
// interval. Phased runs each at its own fixed offset within the interval,
// derived from the source's name: the same on every replica and after
// every restart, and spread evenly over the interval.
type Phased struct {
	Every time.Duration
	Phase time.Duration // in [0, Every)
}

// PhaseOf is a source's offset within interval, in whole seconds: cron
// wakes once per distinct moment (and sorts all its entries each time), so
// sources share the seconds of the interval rather than each having its own
// instant.
func PhaseOf(source string, interval time.Duration) time.Duration {
	secs := int64(interval / time.Second)
	if secs <= 1 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(source))
	return time.Duration(h.Sum64()%uint64(secs)) * time.Second
}

// Next is the first moment after t that is Phase past a multiple of Every
// (counted from the Unix epoch).
func (p Phased) Next(t time.Time) time.Time {
	if p.Every <= 0 {
		return t.Add(time.Second)
	}
	base := t.Add(-p.Phase).Truncate(p.Every) // Truncate works from the zero time; fine for any fixed period
	next := base.Add(p.Phase)
	for !next.After(t) {
		next = next.Add(p.Every)
	}
	return next
}

// Spread returns spec phased for source when it is an "@every" schedule of
// at least a second, and spec itself otherwise.
func Spread(spec cron.Schedule, source string) (cron.Schedule, bool) {
	var every time.Duration
	switch s := spec.(type) {
	case cron.ConstantDelaySchedule:
		every = s.Delay
	case interface{ Every() time.Duration }: // rhythm.Schedule
		every = s.Every()
	}
	if every < time.Second {
		return spec, false
	}
	return Phased{Every: every, Phase: PhaseOf(source, every)}, true
}
