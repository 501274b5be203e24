package watcher

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
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

// TestNthSmallest: the selection finds what sorting finds, on times that
// repeat as a seen value's do.
func TestNthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 300; n++ {
		for _, distinct := range []int{1, 3, 50, 1 << 20} {
			s := make([]uint32, n)
			for i := range s {
				s[i] = uint32(rng.IntN(distinct))
			}
			sorted := slices.Sorted(slices.Values(s))
			k := rng.IntN(n)
			if got := nthSmallest(slices.Clone(s), k); got != sorted[k] {
				t.Fatalf("n %d, %d distinct, k %d: got %d, want %d", n, distinct, k, got, sorted[k])
			}
		}
	}
}

// BenchmarkPrune is a busy source's seen value at its bound, 40 more
// identities merged in and as many of the oldest dropped: what every poll
// of it does.
func BenchmarkPrune(b *testing.B) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l := &Listed{}
	for i := range MinListed {
		l.ids = append(l.ids, listedID{h: uint64(i) * 0x9e3779b97f4a7c15, t: uint32(now.Add(time.Duration(i/40-MinListed/40) * 5 * time.Second).Unix())})
	}
	slices.SortFunc(l.ids, func(a, b listedID) int { return cmp.Compare(a.h, b.h) })
	base := slices.Clone(l.ids)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.ids = append(l.ids[:0], base...)
		l.added = map[uint64]uint32{}
		for j := range 40 {
			l.added[uint64(i*40+j)*0x2545f4914f6cdd1d] = uint32(now.Unix())
		}
		l.prune(now, 20)
	}
}
