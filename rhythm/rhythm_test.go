package rhythm

import (
	"strings"
	"testing"
	"time"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database")
	}
	return loc
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	tests := []struct {
		spec string
		want string // substring of the error; "": valid
	}{
		{"@every 5m", ""},
		{"*/5 * * * *", ""},
		{"0 */5 * * * *", ""}, // six fields: seconds first
		{"CRON_TZ=UTC 0 8 * * *", ""},
		{"TZ=UTC 0 8 * * *", ""},
		{"@hourly", ""},
		{"", "empty cron spec"},
		{"   ", "empty cron spec"},
		{"CRON_TZ=UTC", `"CRON_TZ=UTC" is not a cron spec: CRON_TZ=UTC without a schedule`},
		{"TZ=UTC   ", "without a schedule"},
		{"CRON_TZ=UTC\t0 8 * * *", "location"},
		{"* * *", `"CRON_TZ=Asia/Shanghai * * *"`},
		{"@every", "@every"},
		{"CRON_TZ=Nowhere/City 0 8 * * *", "location"},
		{"every five minutes", `"CRON_TZ=Asia/Shanghai every five minutes"`},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec, loc)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ParseSchedule(%q): %v", tc.spec, err)
			case tc.want == "" && (s.IsZero() || s.String() != tc.spec):
				t.Fatalf("ParseSchedule(%q) = %+v, want it compiled and written as given", tc.spec, s)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("ParseSchedule(%q) error %v, want %q", tc.spec, err, tc.want)
			}
		})
	}
}

func TestScheduleZone(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	from := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		spec string
		loc  *time.Location
		want time.Time
	}{
		// Without CRON_TZ, 08:00 is read in the default zone: 00:00 UTC.
		{"0 8 * * *", loc, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"@daily", loc, time.Date(2026, 1, 1, 16, 0, 0, 0, time.UTC)},
		{"CRON_TZ=UTC 0 8 * * *", loc, time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)},
		// A nil zone follows the zone of the time given.
		{"0 8 * * *", nil, time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)},
		{"30 0 8 * * *", loc, time.Date(2026, 1, 2, 0, 0, 30, 0, time.UTC)},
	} {
		s, err := ParseSchedule(tc.spec, tc.loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Next(from); !got.Equal(tc.want) {
			t.Errorf("%q in %v: next = %v, want %v", tc.spec, tc.loc, got.UTC(), tc.want)
		}
	}
	if !(Schedule{}).Next(from).IsZero() {
		t.Error("the zero schedule fires")
	}
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	loc := shanghai(t)
	tests := []struct {
		spec string
		want string // substring of the error; "": valid
	}{
		{"0 8 * * *", ""},
		{"0 0 8 * * *", ""}, // a six-field spec is a digest as it is a source schedule
		{"CRON_TZ=Asia/Shanghai 0 8 * * *", ""},
		{"@every 1h", ""},
		{"@daily", ""},
		{"0 0 29 2 *", ""}, // leap days fire
		{"0 0 30 2 *", `"0 0 30 2 *" never fires`},
		{"CRON_TZ=UTC", "without a schedule"},
		{"0 8 *", "expected 5 to 6 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := ParseDigest(tc.spec, loc)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ParseDigest(%q): %v", tc.spec, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseDigest(%q) error %v, want %q", tc.spec, err, tc.want)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s, want string // want: substring of the error; "": valid
	}{
		{"22:00-07:00", ""},
		{"22:00-24:00", ""},
		{" 9:30 - 12:00 ", ""},
		{"night", `"night": want HH:MM-HH:MM`},
		{"25:00-07:00", `"25:00-07:00": start: "25:00" is not a time of day`},
		{"22:00-7", `end: "7" is not HH:MM`},
		{"07:00-07:00", "must neither be empty nor span the whole day"},
		{"00:00-24:00", "must neither be empty nor span the whole day"},
		{"24:00-07:00", "is not a time of day"},
	} {
		w, err := ParseWindow(tc.s, nil)
		if tc.want == "" {
			if err != nil || w.IsZero() || w.String() != tc.s {
				t.Errorf("ParseWindow(%q) = %+v, %v", tc.s, w, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseWindow(%q) error %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestWindowRemaining(t *testing.T) {
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
			w, err := ParseWindow(tc.window, sh)
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Remaining(tc.now); got != tc.want {
				t.Errorf("Remaining(%s) = %s, want %s", tc.now, got, tc.want)
			}
		})
	}
	if (Window{}).Remaining(time.Now()) != 0 {
		t.Error("the zero window is quiet")
	}
}

func TestParseRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		n    int
		per  time.Duration
		want string // substring of the error; "": valid
	}{
		{"20/min", 20, time.Minute, ""},
		{"1/s", 1, time.Second, ""},
		{"100/h", 100, time.Hour, ""},
		{"3/90s", 3, 90 * time.Second, ""},
		{" 5 / Minute ", 5, time.Minute, ""},
		{"20", 0, 0, `"20": want N/unit`},
		{"0/min", 0, 0, "count must be a positive integer"},
		{"x/min", 0, 0, "count must be a positive integer"},
		{"20/fortnight", 0, 0, `unknown unit "fortnight"`},
		{"20/-1s", 0, 0, "unknown unit"},
	} {
		r, err := ParseRate(tc.s)
		if tc.want == "" {
			if err != nil || r.N != tc.n || r.Per != tc.per || r.String() != tc.s {
				t.Errorf("ParseRate(%q) = %+v, %v", tc.s, r, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRate(%q) error %v, want %q", tc.s, err, tc.want)
		}
	}
	if !(Rate{}).IsZero() || (Rate{N: 2, Per: time.Second}).String() != "2/1s" {
		t.Error("zero or literal rate")
	}
}

func TestChina(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).In(China())
	if _, off := at.Zone(); off != 8*60*60 {
		t.Errorf("China() is UTC%+d s", off)
	}
}
