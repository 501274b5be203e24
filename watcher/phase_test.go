package watcher_test

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/watcher"
)

func TestPhasedSpreadsEverySchedules(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	seconds := map[int]int{}
	for i := range 600 {
		name := "source-" + string(rune('a'+i%26)) + time.Duration(i).String()
		s, ok := watcher.Spread(cron.Every(time.Minute), name)
		if !ok {
			t.Fatal("an @every schedule was not phased")
		}
		first := s.Next(start)
		second := s.Next(first)
		if d := second.Sub(first); d != time.Minute {
			t.Fatalf("%s: runs %s apart, want every minute", name, d)
		}
		if first.Sub(start) > time.Minute || !first.After(start) {
			t.Fatalf("%s: first run at %s", name, first)
		}
		if again, _ := watcher.Spread(cron.Every(time.Minute), name); again.Next(start) != first {
			t.Fatal("the phase is not stable")
		}
		seconds[first.Second()]++
	}
	// 600 sources over 60 seconds: no second holds more than a few times its share.
	for s, n := range seconds {
		if n > 40 {
			t.Errorf("%d sources in second %d", n, s)
		}
	}
	if rs, err := config.ParseSchedule("@every 1m", time.UTC); err != nil {
		t.Fatal(err)
	} else if _, ok := watcher.Spread(rs, "x"); !ok {
		t.Error("the config's @every schedule was not phased")
	}
	if _, ok := watcher.Spread(mustParse(t, "0 8 * * *"), "x"); ok {
		t.Error("a cron spec was phased")
	}
}

func mustParse(t *testing.T, spec string) cron.Schedule {
	t.Helper()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
