package rhythm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily span of wall-clock time in one zone, such as a
// notifier's quiet hours ("22:00-07:00", which wraps midnight). Its zero
// value is no window: never inside.
type Window struct {
	start, end int // minutes since midnight; start > end wraps midnight
	loc        *time.Location
	text       string
}

// ParseWindow reads "HH:MM-HH:MM" in loc (nil: China). The end may be
// "24:00"; the window must neither be empty nor span the whole day.
func ParseWindow(s string, loc *time.Location) (Window, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("%q: want HH:MM-HH:MM", s)
	}
	start, err := parseClock(from, false)
	if err != nil {
		return Window{}, fmt.Errorf("%q: start: %w", s, err)
	}
	end, err := parseClock(to, true)
	if err != nil {
		return Window{}, fmt.Errorf("%q: end: %w", s, err)
	}
	if start == end || (start == 0 && end == 24*60) {
		return Window{}, fmt.Errorf("%q: the window must neither be empty nor span the whole day", s)
	}
	if end == 24*60 {
		end = 0
	}
	if loc == nil {
		loc = China()
	}
	return Window{start: start, end: end, loc: loc, text: s}, nil
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

// Remaining is how long t is still inside the window: zero when t is
// outside it, or w is no window.
func (w Window) Remaining(t time.Time) time.Duration {
	if w.loc == nil {
		return 0
	}
	lt := t.In(w.loc)
	y, mo, d := lt.Date()
	at := func(day, minutes int) time.Time {
		return time.Date(y, mo, d+day, minutes/60, minutes%60, 0, 0, w.loc)
	}
	start, end := at(0, w.start), at(0, w.end)
	if w.start < w.end {
		if !lt.Before(start) && lt.Before(end) {
			return end.Sub(lt)
		}
		return 0
	}
	// Wraps midnight: inside from start to midnight and from midnight to end.
	switch {
	case !lt.Before(start):
		return at(1, w.end).Sub(lt)
	case lt.Before(end):
		return end.Sub(lt)
	}
	return 0
}

// IsZero reports whether w is no window.
func (w Window) IsZero() bool { return w.loc == nil }

// Location is the window's zone; nil for no window.
func (w Window) Location() *time.Location { return w.loc }

// String is the window as written in the config.
func (w Window) String() string { return w.text }
