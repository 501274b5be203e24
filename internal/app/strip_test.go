package app

import (
	"testing"
	"time"
)

// TestStrip: a source's poll history is a fixed number of cells however
// often it is polled; a cell shows its most notable result; cells older
// than 24 hours are not shown.
func TestStrip(t *testing.T) {
	var s strip
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	// Two days of polls every 10 seconds: 17,280 polls.
	for at := start; at.Before(start.Add(48 * time.Hour)); at = at.Add(10 * time.Second) {
		s.add(at, "not_modified")
	}
	now := start.Add(48*time.Hour - time.Second)
	cells := s.cells(now)
	if len(cells) != stripSlots {
		t.Fatalf("%d cells after two days of polls, want %d", len(cells), stripSlots)
	}
	// A poll over 24 hours old is not shown, though its cell still holds it.
	var old strip
	old.add(now.Add(-historyWindow-10*time.Minute), "error")
	if cells := old.cells(now); len(cells) != 0 {
		t.Errorf("cells %+v: a poll over 24 hours old is shown", cells)
	}
	// An error, then polls that succeed, in the same cell: the error shows.
	at := now.Add(2 * time.Minute)
	s.add(at, "error")
	s.add(at.Add(time.Second), "ok")
	cells = s.cells(at.Add(time.Second))
	if last := cells[len(cells)-1]; last.Result != "error" {
		t.Errorf("last cell %+v: want the error to show", last)
	}
	// A day without polls: nothing shown.
	if cells := s.cells(at.Add(25 * time.Hour)); len(cells) != 0 {
		t.Errorf("%d cells a day after the last poll, want none", len(cells))
	}
	// An unknown result shows as skipped.
	var u strip
	u.add(start, "weird")
	if cells := u.cells(start); len(cells) != 1 || cells[0].Result != "skipped" {
		t.Errorf("unknown result: %+v", cells)
	}
}
