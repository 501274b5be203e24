package delivery

import (
	"errors"
	"fmt"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

// Options configure one notifier's delivery. Its rhythm (digest, quiet
// hours, rate) comes compiled, as config compiles it when the file loads.
type Options struct {
	// Name is the notifier name (see notifier.CheckName). It names the
	// durable consumer ("notify-<name>"), the dead-letter subject and the
	// state keys.
	Name string
	// Match admits alerts; Exclude drops an admitted alert matching any of
	// its non-empty fields. Dropped alerts are acked and counted as filtered.
	Match, Exclude Filter
	// Digest is when stored alerts go out together; the zero Schedule
	// delivers each alert at once.
	Digest rhythm.Schedule
	// QuietHours is a daily window in which nothing is sent; alerts due
	// inside it are deferred to its end, never dropped. Zero: none.
	QuietHours rhythm.Window
	// Rate bounds sends; excess waits. Zero: unlimited.
	Rate rhythm.Rate
	// MaxAttempts is how many deliveries of a transiently failing alert are
	// tried before it is dead-lettered; 0 is DefaultMaxAttempts.
	MaxAttempts int
	// BackoffInitial and BackoffMax bound the exponential, jittered delay
	// between attempts; 0 is DefaultBackoffInitial / DefaultBackoffMax. A
	// longer Retry-After from the target wins (up to MaxRetryAfter).
	BackoffInitial, BackoffMax time.Duration
	// AckWait is the consumer's ack wait: how long the server waits for a
	// holder that stopped heartbeating (it died) before it hands the alert
	// out again, so the longest a crash stalls this notifier. While the
	// runner holds an alert it heartbeats every 3/10 of it, so a slow
	// target or a long wait (retry, quiet hours, rate) keeps the alert. 0
	// is DefaultAckWait; at least 1s.
	AckWait time.Duration

	// Health makes the runner deliver the sources' health events (stream
	// QUALITYWATCH_HEALTH, durable consumer "notify-<name>-health") instead
	// of alerts; each goes out as an alert with category "health" (see
	// alert.FromHealth). Match, Exclude and Digest do not apply to them.
	Health bool
	// Reposts makes the runner deliver follow-ups (stream
	// QUALITYWATCH_REPOSTS, consumer "notify-<name>-reposts"): an alert's
	// notice published again by other sources. Match and Exclude apply.
	Reposts bool

	// clock paces quiet hours, rate, backoff and digest windows; nil is
	// the real clock. Tests set one they can move.
	clock clock
}

// Defaults for zero Options fields.
const (
	DefaultMaxAttempts    = 12
	DefaultBackoffInitial = 2 * time.Second
	DefaultBackoffMax     = 5 * time.Minute
	DefaultAckWait        = 5 * time.Second
	// MaxRetryAfter caps how long a target's Retry-After may stall a
	// notifier.
	MaxRetryAfter = time.Hour
	// ShutdownGrace is how long an in-flight Notify may run on after Run's
	// context is cancelled. It fits inside the daemon's 5 s share for
	// consumers, so what is cut short is naked while NATS is still up.
	ShutdownGrace = 4 * time.Second
)

// ValidateOptions reports every problem in o, each prefixed with the config
// key at fault ("name: ...", "max_attempts: ...", "backoff: ...",
// "ack_wait: ..."), joined with errors.Join. It returns nil when o is
// usable. The rhythm fields are valid by construction.
func ValidateOptions(o Options) error {
	var errs []error
	if err := notifier.CheckName(o.Name); err != nil {
		errs = append(errs, fmt.Errorf("name: %w", err))
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

// heartbeatPeriod is how often a held alert is reported in progress: three
// times per ack wait (1.5 s for the default 5 s), so that a heartbeat late
// or lost now and then does not cost the alert.
func heartbeatPeriod(ackWait time.Duration) time.Duration { return ackWait * 3 / 10 }

// withDefaults fills the zero fields of a valid o.
func withDefaults(o Options) Options {
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
	if o.clock == nil {
		o.clock = realClock{}
	}
	return o
}

// ConsumerName is the durable consumer of the notifier named name.
func ConsumerName(name string) string { return "notify-" + name }

// RepostsConsumerName is the durable consumer of a notifier's follow-ups.
func RepostsConsumerName(name string) string { return "notify-" + name + "-reposts" }

// HealthConsumerName is the durable consumer of a notifier's health events.
func HealthConsumerName(name string) string { return "notify-" + name + "-health" }
