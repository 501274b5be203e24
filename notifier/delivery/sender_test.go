package delivery

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// The sender's pacing is tested in a synctest bubble: its clock is the
// bubble's, which starts at 2000-01-01 00:00 UTC (08:00 in Shanghai) and
// moves only while every goroutine waits, so each send time is exact.

func testSender(t *testing.T, f *fakeNotifier, edit func(*Options)) *sender {
	t.Helper()
	o := Options{Name: "paced", BackoffInitial: time.Second, BackoffMax: 8 * time.Second}
	if edit != nil {
		edit(&o)
	}
	if err := ValidateOptions(o); err != nil {
		t.Fatal(err)
	}
	o = withDefaults(o)
	return newSender(f, o, testLogger(t), noMetrics{})
}

// sendAt sends each alert on its own, one after the other, and returns the
// results and the time each attempt was made, from the bubble's start.
func sendAt(t *testing.T, s *sender, f *fakeNotifier, as ...alert.Alert) ([]result, []time.Duration) {
	t.Helper()
	start := time.Now()
	var rs []result
	for _, a := range as {
		rs = append(rs, s.send(t.Context(), t.Context(), []alert.Alert{a}, nil))
	}
	var at []time.Duration
	for _, a := range f.tries() {
		at = append(at, a.at.Sub(start))
	}
	return rs, at
}

func TestSenderPacing(t *testing.T) {
	t.Parallel()
	unavailable := notifier.Transient(503, 0, errors.New("unavailable"))
	tests := []struct {
		name   string
		edit   func(*Options)
		script []error
		alerts int
		want   []time.Duration // when each attempt is made
		kinds  []resultKind
	}{
		{
			name:   "quiet hours defer to their end",
			edit:   func(o *Options) { o.QuietHours = quietHours(t, "07:30-09:15") }, // now is 08:00 in Shanghai
			alerts: 2,
			want:   []time.Duration{75 * time.Minute, 75 * time.Minute},
			kinds:  []resultKind{resultDelivered, resultDelivered},
		},
		{
			name:   "quiet hours elsewhere do not",
			edit:   func(o *Options) { o.QuietHours = quietHours(t, "22:00-07:00") },
			alerts: 1,
			want:   []time.Duration{0},
			kinds:  []resultKind{resultDelivered},
		},
		{
			name:   "rate: at most 2 in any second",
			edit:   func(o *Options) { o.Rate = rate(t, "2/s") },
			alerts: 5,
			want:   []time.Duration{0, 0, time.Second, time.Second, 2 * time.Second},
			kinds:  []resultKind{resultDelivered, resultDelivered, resultDelivered, resultDelivered, resultDelivered},
		},
		{
			name:   "retry-after longer than the backoff wins",
			script: []error{notifier.Transient(429, 30*time.Second, errors.New("slow down"))},
			alerts: 1,
			want:   []time.Duration{0, 30 * time.Second},
			kinds:  []resultKind{resultDelivered},
		},
		{
			name:   "retry-after capped at MaxRetryAfter",
			script: []error{notifier.Transient(429, 48*time.Hour, errors.New("go away"))},
			alerts: 1,
			want:   []time.Duration{0, MaxRetryAfter},
			kinds:  []resultKind{resultDelivered},
		},
		{
			name:   "permanent failure: no retry",
			script: []error{notifier.Permanent(400, errors.New("bad request"))},
			alerts: 1,
			want:   []time.Duration{0},
			kinds:  []resultKind{resultUndeliverable},
		},
		{
			name:   "transient failures until max attempts",
			edit:   func(o *Options) { o.MaxAttempts = 3 },
			script: []error{unavailable, unavailable, unavailable},
			alerts: 1,
			kinds:  []resultKind{resultUndeliverable},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(tc.script...)
				s := testSender(t, f, tc.edit)
				rs, at := sendAt(t, s, f, alertIDs("p", tc.alerts)...)
				var kinds []resultKind
				for _, r := range rs {
					kinds = append(kinds, r.kind)
				}
				if !slices.Equal(kinds, tc.kinds) {
					t.Errorf("results %+v, want kinds %v", rs, tc.kinds)
				}
				if tc.want != nil && !slices.Equal(at, tc.want) {
					t.Errorf("attempts at %v, want %v", at, tc.want)
				}
			})
		})
	}
}

func TestSenderBackoffIsBoundedAndGrows(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		unavailable := notifier.Transient(503, 0, errors.New("unavailable"))
		f := newFake()
		f.fallback = func(int) error { return unavailable }
		s := testSender(t, f, func(o *Options) { o.MaxAttempts = 6 })
		rs, at := sendAt(t, s, f, mkAlert("b"))
		if rs[0].kind != resultUndeliverable || rs[0].attempts != 6 ||
			!strings.Contains(rs[0].err.Error(), "gave up after 6 attempts: transient failure (status 503): unavailable") {
			t.Fatalf("result %+v", rs[0])
		}
		// Attempt n waits between half and all of min(1s·2^(n-1), 8s).
		for i := 1; i < len(at); i++ {
			full := min(time.Second<<(i-1), 8*time.Second)
			if gap := at[i] - at[i-1]; gap < full/2 || gap > full {
				t.Errorf("wait before attempt %d: %s, want in [%s, %s]", i+1, gap, full/2, full)
			}
		}
	})
}

func TestSenderInterrupted(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		s := testSender(t, f, func(o *Options) { o.QuietHours = quietHours(t, "07:30-09:15") })
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(15*time.Minute, cancel)
		r := s.send(ctx, ctx, []alert.Alert{mkAlert("i")}, nil)
		// Interrupted at 08:15 inside a window ending 09:15: nak for an hour.
		if r.kind != resultInterrupted || r.retryIn != time.Hour {
			t.Errorf("result %+v, want interrupted with an hour left", r)
		}
		if n := len(f.tries()); n != 0 {
			t.Errorf("%d sends inside quiet hours", n)
		}
	})
}
