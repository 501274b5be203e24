// Package rhythm is qualitywatch's one dialect of time, parsed once when the
// config loads into values the runtime only asks questions of:
//
//   - Schedule: a cron spec, for source polls and notifier digests. Five
//     fields, six with seconds first, descriptors (@hourly, @every 5m) and a
//     CRON_TZ= (or TZ=) prefix; a spec without one is read in a default zone.
//   - Window: a daily span of wall-clock time in one zone ("22:00-07:00",
//     which may wrap midnight): a notifier's quiet hours.
//   - Rate: at most N sends in any span of a given length ("20/min").
//
// Each zero value means "none": no schedule, never quiet, unlimited. The
// package is a leaf: it knows nothing of config files or NATS, does no I/O
// beyond loading time zones, and keeps no state.
package rhythm

import (
	"sync"
	"time"
)

// China is the zone of the sites qualitywatch watches and the default of
// every zone in its config: Asia/Shanghai, or UTC+8 exactly where there is no
// time zone database (China has had no daylight saving time since 1991).
// It is loaded once: it is asked for on hot paths (every list entry without
// a configured zone).
func China() *time.Location { return china() }

var china = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
})
