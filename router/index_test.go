package router

import (
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/repost"
)

// TestIndex: entries are found under their title's numbers only, the same
// alert recorded again (a copy noted on it) is kept once, a deleted record
// leaves the index, and entries past the repost window are swept.
func TestIndex(t *testing.T) {
	r := &recent{byKey: map[string]*entry{}, byNumbers: map[string][]*entry{}}
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	r.addLocked(RecordKey("a"), &Record{ID: "a", Detected: now, Print: repost.Of(title, "")})
	r.addLocked(RecordKey("a"), &Record{ID: "a", Detected: now, Print: repost.Of(title, ""), Regions: []string{"weifang"}})
	r.addLocked(RecordKey("b"), &Record{ID: "b", Detected: now.Add(time.Minute), Print: repost.Of("第6期抽检信息", "")})
	old := now.Add(-bus.RepostWindow - time.Hour)
	r.addLocked(RecordKey("c"), &Record{ID: "c", Detected: old, Print: repost.Of("第7期抽检信息", "")})
	if len(r.byKey) != 3 || len(r.byNumbers[numbersKey(repost.Of(title, ""))]) != 1 {
		t.Fatalf("index: %d entries, %d under the first's numbers; want 3 and 1", len(r.byKey), len(r.byNumbers[numbersKey(repost.Of(title, ""))]))
	}
	if !r.alerted("a", now) || r.alerted("c", now) || r.alerted("zz", now) {
		t.Error("alerted: want a (recent), not c (past the window) nor an unknown id")
	}
	r.removeLocked(RecordKey("b"))
	if _, ok := r.byNumbers[numbersKey(repost.Of("第6期抽检信息", ""))]; ok || len(r.byKey) != 2 {
		t.Error("a removed entry stays in the index")
	}
	r.sweepLocked(now)
	if len(r.byKey) != 1 || len(r.byNumbers) != 1 {
		t.Errorf("after the sweep: %d entries in %d groups, want only a", len(r.byKey), len(r.byNumbers))
	}
	if got := r.corrected("山东省市场监督管理局2026年第5期食品安全监督抽检信息", "x", now); got != "a" {
		t.Errorf("corrected = %q, want a", got)
	}
}

// TestFindForgetsExpired: an entry the bucket no longer has (its TTL ran
// out, which no watch event tells) is dropped and not matched.
func TestFindForgetsExpired(t *testing.T) {
	conn := natstest.Start(t, "")
	r, err := openRecent(t.Context(), conn.JS)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := repost.Of("山东省市场监督管理局关于2026年第9期食品安全监督抽检信息的通告", "")
	r.mu.Lock()
	r.addLocked(RecordKey("gone"), &Record{ID: "gone", Detected: now, Print: p})
	r.mu.Unlock()
	rec, err := r.find(t.Context(), p, "new", now)
	if err != nil || rec != nil {
		t.Fatalf("find = %v, %v; want no match and no error", rec, err)
	}
	if r.alerted("gone", now) {
		t.Error("the expired entry is still in the index")
	}
}
