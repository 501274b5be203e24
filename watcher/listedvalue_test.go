package watcher

import (
	"cmp"
	"encoding/binary"
	"slices"
	"testing"
	"time"
)

// TestListedValue: a value written in any order (the first version wrote
// a map's order) is read sorted; what is added is merged when written; past
// the limit the identities listed longest ago go; identities no longer
// listed go after ListedMargin.
func TestListedValue(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	old := []byte{'Q', 'W', 'L', '1'}
	old = binary.BigEndian.AppendUint32(old, 3)
	for _, e := range []listedID{{30, 3}, {10, 1}, {20, 2}} {
		old = binary.BigEndian.AppendUint64(old, e.h)
		old = binary.BigEndian.AppendUint32(old, e.t)
	}
	ids, _, err := decodeListed(old)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(ids, func(a, b listedID) int { return cmp.Compare(a.h, b.h) }) || len(ids) != 3 {
		t.Fatalf("decoded %v: want 3 identities sorted by hash", ids)
	}

	l := &Listed{}
	var all []uint64
	for i := range MinListed + 50 {
		h := uint64(i)*0x9E3779B97F4A7C15 + 1
		all = append(all, h)
		l.Touch([]uint64{h}, now.Add(time.Duration(i)*time.Second))
	}
	if !l.Has(all[:1]) || l.Has([]uint64{7}) || l.Len() != MinListed+50 {
		t.Fatalf("before writing: Has or Len wrong (%d)", l.Len())
	}
	l.prune(now.Add(time.Hour), 20)
	if l.Len() != MinListed {
		t.Fatalf("%d identities kept, want %d", l.Len(), MinListed)
	}
	if l.Has(all[:50]) || !l.Has(all[50:51]) || !l.Has(all[len(all)-1:]) {
		t.Error("past the limit, the 50 listed longest ago should go and the rest stay")
	}
	back, _, err := decodeListed(l.encode())
	if err != nil || !slices.Equal(back, l.ids) {
		t.Fatalf("encode/decode: %v", err)
	}
	// Touching again updates in place; an identity not listed for longer
	// than ListedMargin goes.
	l.Touch(all[len(all)-1:], now.Add(ListedMargin+2*time.Hour))
	l.prune(now.Add(ListedMargin+2*time.Hour), 20)
	if l.Len() != 1 || !l.Has(all[len(all)-1:]) {
		t.Errorf("after the margin: %d identities, want only the one listed again", l.Len())
	}
}
