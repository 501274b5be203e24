package delivery

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
)

func TestValidateOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want []string // substrings of the error; none: valid
	}{
		{"minimal", Options{Name: "team"}, nil},
		{"everything", Options{Name: "qa-mail-2", Digest: "CRON_TZ=Asia/Shanghai 0 8 * * *", QuietHours: "22:00-07:00", Rate: "20/min", MaxAttempts: 3, BackoffInitial: time.Second, BackoffMax: time.Minute, AckWait: 10 * time.Second}, nil},
		{"every descriptor", Options{Name: "a", Digest: "@every 1h"}, nil},
		{"daily descriptor", Options{Name: "a", Digest: "@daily"}, nil},
		{"quiet hours to midnight", Options{Name: "a", QuietHours: "22:00-24:00"}, nil},
		{"rate as duration", Options{Name: "a", Rate: "3/90s"}, nil},
		{"bad name", Options{Name: "Quality Team"}, []string{"name:"}},
		{"empty name", Options{}, []string{"name:"}},
		{"cron tz without fields (cron v3 panics)", Options{Name: "a", Digest: "CRON_TZ=UTC"}, []string{"digest:", "without a schedule"}},
		{"tz with trailing space only", Options{Name: "a", Digest: "TZ=UTC   "}, []string{"digest:"}},
		{"cron tz with tab", Options{Name: "a", Digest: "CRON_TZ=UTC\t0 8 * * *"}, []string{"digest:"}},
		{"unknown zone", Options{Name: "a", Digest: "CRON_TZ=Mars/Olympus 0 8 * * *"}, []string{"digest:", "location"}},
		{"too few fields", Options{Name: "a", Digest: "0 8 *"}, []string{"digest:"}},
		{"never fires", Options{Name: "a", Digest: "0 0 30 2 *"}, []string{"digest:", "never fires"}},
		{"quiet hours garbage", Options{Name: "a", QuietHours: "night"}, []string{"quiet_hours:"}},
		{"quiet hours bad hour", Options{Name: "a", QuietHours: "25:00-07:00"}, []string{"quiet_hours:"}},
		{"quiet hours empty window", Options{Name: "a", QuietHours: "07:00-07:00"}, []string{"quiet_hours:"}},
		{"rate without unit", Options{Name: "a", Rate: "20"}, []string{"rate:"}},
		{"rate zero", Options{Name: "a", Rate: "0/min"}, []string{"rate:"}},
		{"rate unknown unit", Options{Name: "a", Rate: "20/fortnight"}, []string{"rate:"}},
		{"negative attempts", Options{Name: "a", MaxAttempts: -1}, []string{"max_attempts:"}},
		{"backoff inverted", Options{Name: "a", BackoffInitial: time.Minute, BackoffMax: time.Second}, []string{"backoff:"}},
		{"ack wait too short", Options{Name: "a", AckWait: time.Millisecond}, []string{"ack_wait:"}},
		{"every problem named", Options{Name: "A", Digest: "CRON_TZ=UTC", QuietHours: "x", Rate: "y"}, []string{"name:", "digest:", "quiet_hours:", "rate:"}},
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

func TestQuietHoursRemaining(t *testing.T) {
	t.Parallel()
	sh := shanghai(t)
	at := func(day, h, m int) time.Time { return time.Date(2025, 3, day, h, m, 0, 0, sh) }
	tests := []struct {
		name   string
		window string
		now    time.Time
		want   time.Duration
	}{
		{"wrapping, before midnight", "22:00-07:00", at(10, 23, 30), 7*time.Hour + 30*time.Minute},
		{"wrapping, at start", "22:00-07:00", at(10, 22, 0), 9 * time.Hour},
		{"wrapping, after midnight", "22:00-07:00", at(11, 6, 59), time.Minute},
		{"wrapping, at end", "22:00-07:00", at(11, 7, 0), 0},
		{"wrapping, daytime", "22:00-07:00", at(11, 12, 0), 0},
		{"same day", "12:00-13:30", at(11, 12, 45), 45 * time.Minute},
		{"same day, outside", "12:00-13:30", at(11, 14, 0), 0},
		{"to midnight", "22:00-24:00", at(11, 23, 0), time.Hour},
		{"other zone is converted", "22:00-07:00", time.Date(2025, 3, 10, 22, 0, 0, 0, time.UTC), time.Hour}, // 06:00 in Shanghai
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := parseQuietHours(tc.window, sh)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.remaining(tc.now); got != tc.want {
				t.Errorf("remaining(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
	var none *quietHours
	if none.remaining(time.Now()) != 0 {
		t.Error("nil quiet hours are quiet")
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l, err := parseRate("3/s")
	if err != nil {
		t.Fatal(err)
	}
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
