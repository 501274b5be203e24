package delivery

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

func TestValidateOptions(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	tests := []struct {
		name string
		o    Options
		want []string // substrings of the error; none: valid
	}{
		{"minimal", Options{Name: "team"}, nil},
		{"everything", Options{Name: "qa-mail-2", Digest: digestAt(t, "CRON_TZ=Asia/Shanghai 0 8 * * *"), QuietHours: quietHours(t, "22:00-07:00"), Rate: rate(t, "20/min"), MaxAttempts: 3, BackoffInitial: time.Second, BackoffMax: time.Minute, AckWait: 10 * time.Second}, nil},
		{"six-field digest", Options{Name: "a", Digest: mustDigest(t, "0 0 8 * * *", sh)}, nil},
		{"bad name", Options{Name: "Quality Team"}, []string{"name:"}},
		{"name with a leading dash (the config's rule)", Options{Name: "-team"}, []string{"name:"}},
		{"empty name", Options{}, []string{"name: required"}},
		{"negative attempts", Options{Name: "a", MaxAttempts: -1}, []string{"max_attempts:"}},
		{"negative backoff", Options{Name: "a", BackoffInitial: -time.Second}, []string{"backoff:"}},
		{"backoff inverted", Options{Name: "a", BackoffInitial: time.Minute, BackoffMax: time.Second}, []string{"backoff:"}},
		{"ack wait too short", Options{Name: "a", AckWait: time.Millisecond}, []string{"ack_wait:"}},
		{"every problem named", Options{Name: "A", MaxAttempts: -1, AckWait: time.Millisecond}, []string{"name:", "max_attempts:", "ack_wait:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateOptions(tc.o)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func mustDigest(t *testing.T, spec string, loc *time.Location) rhythm.Schedule {
	t.Helper()
	s, err := rhythm.ParseDigest(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := &limiter{n: 3, per: time.Second}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		if d := l.reserve(t0.Add(time.Duration(i) * 100 * time.Millisecond)); d != 0 {
			t.Fatalf("send %d waits %s", i, d)
		}
	}
	if d := l.reserve(t0.Add(500 * time.Millisecond)); d != 500*time.Millisecond {
		t.Errorf("4th send waits %s, want 500ms (until the first leaves the window)", d)
	}
	if d := l.reserve(t0.Add(time.Second)); d != 0 {
		t.Errorf("send after the window waits %s", d)
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		attempt  int
		err      error
		min, max time.Duration
	}{
		{"first", 1, errors.New("x"), 50 * time.Millisecond, 100 * time.Millisecond},
		{"third doubles twice", 3, errors.New("x"), 200 * time.Millisecond, 400 * time.Millisecond},
		{"capped", 20, errors.New("x"), 500 * time.Millisecond, time.Second},
		{"retry-after longer wins", 1, notifier.Transient(429, 3*time.Second, errors.New("x")), 3 * time.Second, 3 * time.Second},
		{"retry-after shorter loses", 3, notifier.Transient(429, time.Millisecond, errors.New("x")), 200 * time.Millisecond, 400 * time.Millisecond},
		{"retry-after capped", 1, notifier.Transient(429, 48*time.Hour, errors.New("x")), MaxRetryAfter, MaxRetryAfter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				d := backoff(100*time.Millisecond, time.Second, tc.attempt, tc.err)
				if d < tc.min || d > tc.max {
					t.Fatalf("backoff = %s, want in [%s, %s]", d, tc.min, tc.max)
				}
			}
		})
	}
}
