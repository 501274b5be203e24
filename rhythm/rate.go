package rhythm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is at most N sends in any span of length Per ("20/min"). Its zero
// value is unlimited.
type Rate struct {
	N    int
	Per  time.Duration
	text string
}

// ParseRate reads "N/unit" where unit is s, sec, second, m, min, minute, h,
// hr, hour, or a Go duration such as "90s".
func ParseRate(s string) (Rate, error) {
	count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q: want N/unit, e.g. 20/min", s)
	}
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n < 1 {
		return Rate{}, fmt.Errorf("%q: count must be a positive integer", s)
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
			return Rate{}, fmt.Errorf("%q: unknown unit %q (want s, min, h or a duration)", s, unit)
		}
	}
	return Rate{N: n, Per: per, text: s}, nil
}

// IsZero reports whether r is unlimited.
func (r Rate) IsZero() bool { return r.N <= 0 || r.Per <= 0 }

// String is the rate as written in the config, or N/Per for a Rate built
// as a literal.
func (r Rate) String() string {
	if r.text != "" || r.IsZero() {
		return r.text
	}
	return fmt.Sprintf("%d/%s", r.N, r.Per)
}
