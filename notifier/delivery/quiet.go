package delivery

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// quietHours is a daily window, in one location, during which nothing is
// sent. Alerts due inside it are deferred to its end, never dropped.
type quietHours struct {
	start, end int // minutes since midnight; start > end wraps midnight
	loc        *time.Location
}

// parseQuietHours reads "HH:MM-HH:MM". The end may be "24:00"; start and
// end must differ.
func parseQuietHours(s string, loc *time.Location) (*quietHours, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return nil, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	start, err := parseClock(from, false)
	if err != nil {
		return nil, fmt.Errorf("%q: start: %w", s, err)
	}
	end, err := parseClock(to, true)
	if err != nil {
		return nil, fmt.Errorf("%q: end: %w", s, err)
	}
	if start == end || (start == 0 && end == 24*60) {
		return nil, fmt.Errorf("%q: the window must neither be empty nor span the whole day", s)
	}
	if end == 24*60 {
		end = 0
	}
	return &quietHours{start: start, end: end, loc: loc}, nil
}

// parseClock reads "HH:MM" as minutes since midnight.
func parseClock(s string, allow24 bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) < 1 || len(h) > 2 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	if hh > 23 && (!allow24 || hh != 24 || mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return hh*60 + mm, nil
}

// remaining returns how long t is still inside the quiet window: zero when
// t is outside it. A nil window is never quiet.
func (q *quietHours) remaining(t time.Time) time.Duration {
	if q == nil {
		return 0
	}
	lt := t.In(q.loc)
	y, mo, d := lt.Date()
	at := func(day, minutes int) time.Time {
		return time.Date(y, mo, d+day, minutes/60, minutes%60, 0, 0, q.loc)
	}
	start, end := at(0, q.start), at(0, q.end)
	if q.start < q.end {
		if !lt.Before(start) && lt.Before(end) {
			return end.Sub(lt)
		}
		return 0
	}
	// Wraps midnight: quiet from start to midnight and from midnight to end.
	switch {
	case !lt.Before(start):
		return at(1, q.end).Sub(lt)
	case lt.Before(end):
		return end.Sub(lt)
	}
	return 0
}
