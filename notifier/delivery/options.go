package delivery

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Options configure one notifier's delivery.
type Options struct {
	// Name is the notifier name, [a-z0-9-]+. It names the durable consumer
	// ("notify-<name>"), the dead-letter subject and the state keys.
	Name string
	// Match admits alerts; Exclude drops an admitted alert matching any of
	// its non-empty fields. Dropped alerts are acked and counted as filtered.
	Match, Exclude Filter
	// Digest is a cron spec ("0 8 * * *", "@every 1h",
	// "CRON_TZ=Asia/Shanghai 0 8 * * *"); "" delivers each alert at once.
	Digest string
	// QuietHours is "HH:MM-HH:MM" (may wrap midnight); "" is none. Alerts
	// due inside it are deferred to its end, never dropped.
	QuietHours string
	// Location is the zone of QuietHours and of digest specs without
	// CRON_TZ; nil is Asia/Shanghai.
	Location *time.Location
	// Rate is "20/min", "1/s", "100/h"; "" is unlimited. Excess waits.
	Rate string
	// MaxAttempts is how many deliveries of a transiently failing alert are
	// tried before it is dead-lettered; 0 is DefaultMaxAttempts.
	MaxAttempts int
	// BackoffInitial and BackoffMax bound the exponential, jittered delay
	// between attempts; 0 is DefaultBackoffInitial / DefaultBackoffMax. A
	// longer Retry-After from the target wins (up to MaxRetryAfter).
	BackoffInitial, BackoffMax time.Duration
	// AckWait is the consumer's ack wait; the runner heartbeats at a third
	// of it while it holds an alert. 0 is DefaultAckWait; at least 1s.
	AckWait time.Duration
	// Now is the clock; nil is time.Now. Waits are computed from it and slept
	// in real time.
	Now func() time.Time
}

// Defaults for zero Options fields.
const (
	DefaultMaxAttempts    = 12
	DefaultBackoffInitial = 2 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultAckWait        = 30 * time.Second
	// MaxRetryAfter caps how long a target's Retry-After may stall a
	// notifier.
	MaxRetryAfter = time.Hour
	// ShutdownGrace is how long an in-flight Notify may run on after Run's
	// context is cancelled. It fits inside the daemon's 5 s share for
	// consumers, so what is cut short is naked while NATS is still up.
	ShutdownGrace = 4 * time.Second
)

var nameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// ValidateOptions reports every problem in o, each prefixed with the config
// key at fault ("name: ...", "digest: ...", "quiet_hours: ...", "rate: ...",
// "max_attempts: ...", "backoff: ...", "ack_wait: ..."), joined with
// errors.Join. It returns nil when o is usable.
func ValidateOptions(o Options) error {
	var errs []error
	if !nameRE.MatchString(o.Name) {
		errs = append(errs, fmt.Errorf("name: %q must match [a-z0-9-]+", o.Name))
	}
	loc := location(o.Location)
	if o.Digest != "" {
		if _, err := parseDigest(o.Digest, loc, time.Now()); err != nil {
			errs = append(errs, fmt.Errorf("digest: %w", err))
		}
	}
	if o.QuietHours != "" {
		if _, err := parseQuietHours(o.QuietHours, loc); err != nil {
			errs = append(errs, fmt.Errorf("quiet_hours: %w", err))
		}
	}
	if o.Rate != "" {
		if _, err := parseRate(o.Rate); err != nil {
			errs = append(errs, fmt.Errorf("rate: %w", err))
		}
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max_attempts: %d is negative", o.MaxAttempts))
	}
	switch {
	case o.BackoffInitial < 0 || o.BackoffMax < 0:
		errs = append(errs, fmt.Errorf("backoff: durations must not be negative"))
	case o.BackoffInitial > 0 && o.BackoffMax > 0 && o.BackoffInitial > o.BackoffMax:
		errs = append(errs, fmt.Errorf("backoff: initial %s exceeds max %s", o.BackoffInitial, o.BackoffMax))
	}
	if o.AckWait != 0 && o.AckWait < time.Second {
		errs = append(errs, fmt.Errorf("ack_wait: %s is shorter than 1s", o.AckWait))
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero fields of a valid o.
func withDefaults(o Options) Options {
	o.Location = location(o.Location)
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BackoffInitial == 0 {
		o.BackoffInitial = DefaultBackoffInitial
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = max(DefaultBackoffMax, o.BackoffInitial)
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// location returns loc, or Asia/Shanghai when nil. Without a time zone
// database Shanghai is UTC+8 exactly (China has had no DST since 1991).
func location(loc *time.Location) *time.Location {
	if loc != nil {
		return loc
	}
	if sh, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return sh
	}
	return time.FixedZone("CST", 8*60*60)
}

// parseDigest compiles a cron spec; specs without CRON_TZ are read in loc.
// It checks the spec fires after now, and turns a cron parser panic (cron v3
// panics on "CRON_TZ=UTC" with no fields) into an error.
func parseDigest(spec string, loc *time.Location, now time.Time) (s cron.Schedule, err error) {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		tz, rest, ok := strings.Cut(spec, " ")
		if !ok || strings.TrimSpace(rest) == "" {
			return nil, fmt.Errorf("%q: %s without a schedule", spec, tz)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("%q: invalid spec: %v", spec, p)
		}
	}()
	s, err = cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", spec, err)
	}
	if s.Next(now.In(loc)).IsZero() {
		return nil, fmt.Errorf("%q never fires", spec)
	}
	return s, nil
}
