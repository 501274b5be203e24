package rhythm

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a compiled cron spec. Its zero value is no schedule: Next
// returns the zero time.
type Schedule struct {
	spec  string // as written
	sched cron.Schedule
}

// parser reads the one dialect: 5 fields, 6 with seconds, descriptors such
// as @every 5m, and CRON_TZ= prefixes.
func parser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// ParseSchedule compiles a cron spec. A spec without CRON_TZ= (or TZ=) is
// read in loc; with a nil loc it follows the zone of the time given to Next.
// It never panics (cron v3 does on "CRON_TZ=UTC" with no fields).
func ParseSchedule(spec string, loc *time.Location) (s Schedule, err error) {
	written := spec
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return Schedule{}, errors.New("empty cron spec")
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		tz, rest, ok := strings.Cut(spec, " ")
		if !ok || strings.TrimSpace(rest) == "" {
			return Schedule{}, fmt.Errorf("%q is not a cron spec: %s without a schedule", spec, tz)
		}
	} else if !strings.HasPrefix(spec, "@every") && loc != nil {
		spec = "CRON_TZ=" + loc.String() + " " + spec
	}
	defer func() {
		if p := recover(); p != nil {
			s, err = Schedule{}, fmt.Errorf("%q is not a cron spec", spec)
		}
	}()
	sched, err := parser().Parse(spec)
	if err != nil {
		return Schedule{}, fmt.Errorf("%q: %w", spec, err)
	}
	return Schedule{spec: written, sched: sched}, nil
}

// ParseDigest is ParseSchedule for a notifier's digest, which must also
// fire at some time ("0 0 30 2 *" never does).
func ParseDigest(spec string, loc *time.Location) (Schedule, error) {
	s, err := ParseSchedule(spec, loc)
	if err != nil {
		return Schedule{}, err
	}
	// Cron specs name no year, so a spec that fires at all fires within the
	// five years cron searches from any instant; a fixed one keeps loading
	// deterministic.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).IsZero() {
		return Schedule{}, fmt.Errorf("%q never fires", strings.TrimSpace(spec))
	}
	return s, nil
}

// Next is the first tick after t, in t's zone; zero when there is none or s
// is no schedule. Schedule implements cron.Schedule.
func (s Schedule) Next(t time.Time) time.Time {
	if s.sched == nil {
		return time.Time{}
	}
	return s.sched.Next(t)
}

// Every is the period of an "@every" schedule, 0 for a cron spec.
func (s Schedule) Every() time.Duration {
	if c, ok := s.sched.(cron.ConstantDelaySchedule); ok {
		return c.Delay
	}
	return 0
}

// IsZero reports whether s is no schedule.
func (s Schedule) IsZero() bool { return s.sched == nil }

// String is the spec as written in the config.
func (s Schedule) String() string { return s.spec }

var _ cron.Schedule = Schedule{}
