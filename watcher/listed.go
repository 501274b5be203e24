package watcher

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
)

// The seen-store: one value per source, holding the identities the source
// listed recently (a 64-bit hash of each of an entry's Keys, with when it
// was last listed), in the never-expiring sources bucket under
// "listed.<source>". It is read once per poll, consulted in memory, and
// written once, after every new item's publish was acknowledged, only when
// it changed. Its size follows what the source lists: an identity no longer
// listed is kept for ListedMargin, and at most the newest
// max(4 × listed now, MinListed) are kept, so it does not grow with history.
//
// Before this store, each item seen had a key of its own in
// QUALITYWATCH_SEEN. A source without a "listed" value that has taken its
// baseline is migrated at its next poll: its entries are looked up there
// once, and what was seen goes into the new value.

// ListedMargin is how long an identity no longer listed is remembered, so
// that an entry that drops off a list and comes back does not alert again.
const ListedMargin = 90 * 24 * time.Hour

// MinListed is the least number of identities kept per source.
const MinListed = 2000

// listedMagic starts an encoded value (version 1: identities only; 2: and
// the content of alerted entries).
var (
	listedMagic  = [4]byte{'Q', 'W', 'L', '1'}
	listedMagic2 = [4]byte{'Q', 'W', 'L', '2'}
)

// Listed is a source's recently listed identities, and what its alerted
// entries said, to notice when one is corrected.
//
// In memory, the identities read are one slice sorted by hash (read from
// the value as it is, looked up by binary search), and those first listed
// since are a small map merged in when the value is written: a poll of a
// busy source neither builds a map of thousands of entries nor keeps one
// between polls.
type Listed struct {
	ids     []listedID        // as read, sorted by hash; times touched in place
	added   map[uint64]uint32 // first listed since the read: hash -> when
	content map[uint64]Content
	rev     uint64 // the value's revision when read (0: none)
	changed bool
}

// listedID is an identity hash and when it was last listed (unix seconds).
type listedID struct {
	h uint64
	t uint32
}

// find returns the index of h in ids, or -1.
func (l *Listed) find(h uint64) int {
	i, ok := slices.BinarySearchFunc(l.ids, h, func(e listedID, h uint64) int { return cmp.Compare(e.h, h) })
	if !ok {
		return -1
	}
	return i
}

// Content is what an alerted entry said when it was published: enough to
// tell a material correction from a cosmetic change.
type Content struct {
	ID      string // the item's id, which an update refers to
	Title   uint64 // hash of the title without white space and punctuation
	Sim     uint64 // SimHash of title and text (see repost)
	Long    bool   // the text was long enough to compare
	Updated bool   // an update was published: at most one
}

// ContentOf returns the content recorded under an entry's first identity.
func (l *Listed) ContentOf(h uint64) (Content, bool) {
	c, ok := l.content[h]
	return c, ok
}

// SetContent records an alerted entry's content.
func (l *Listed) SetContent(h uint64, c Content) {
	if l.content == nil {
		l.content = map[uint64]Content{}
	}
	l.content[h] = c
	l.changed = true
}

// KeyHash is the hash an identity key is kept under.
func KeyHash(key string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return h.Sum64()
}

// Has reports whether any of the hashes was listed.
func (l *Listed) Has(hashes []uint64) bool {
	for _, h := range hashes {
		if _, ok := l.added[h]; ok || l.find(h) >= 0 {
			return true
		}
	}
	return false
}

// Touch records the hashes as listed at t.
func (l *Listed) Touch(hashes []uint64, t time.Time) {
	sec := uint32(t.Unix())
	for _, h := range hashes {
		if i := l.find(h); i >= 0 {
			// Listing again within the hour is not a change worth a write.
			if old := l.ids[i].t; old < sec {
				l.changed = l.changed || sec-old > 3600
				l.ids[i].t = sec
			}
			continue
		}
		if old, ok := l.added[h]; ok && old >= sec {
			continue
		}
		if l.added == nil {
			l.added = map[uint64]uint32{}
		}
		l.added[h] = sec
		l.changed = true
	}
}

// Len is the number of identities kept.
func (l *Listed) Len() int { return len(l.ids) + len(l.added) }

// Empty reports whether the source has no value yet.
func (l *Listed) Empty() bool { return l.rev == 0 && l.Len() == 0 }

// prune merges what was added and drops what is no longer worth keeping
// (see the file comment).
func (l *Listed) prune(now time.Time, listedNow int) {
	if len(l.added) > 0 {
		add := make([]listedID, 0, len(l.added))
		for h, t := range l.added {
			add = append(add, listedID{h, t})
		}
		slices.SortFunc(add, func(a, b listedID) int { return cmp.Compare(a.h, b.h) })
		l.ids = mergeIDs(l.ids, add)
		l.added = nil
	}
	cutoff := uint32(now.Add(-ListedMargin).Unix())
	// Past the limit, the oldest go: the limit-th newest time is the cutoff,
	// and of the identities listed at that very second, those first by hash
	// stay.
	limit := max(4*listedNow, MinListed)
	if len(l.ids) > limit {
		times := make([]uint32, len(l.ids))
		for i, e := range l.ids {
			times[i] = e.t
		}
		cutoff = max(cutoff, nthSmallest(times, len(times)-limit))
	}
	newer := 0
	for _, e := range l.ids {
		if e.t > cutoff {
			newer++
		}
	}
	kept, atCutoff, room := l.ids[:0], 0, limit-newer
	for _, e := range l.ids {
		switch {
		case e.t > cutoff:
		case e.t == cutoff && atCutoff < room:
			atCutoff++
		default:
			l.changed = true
			continue
		}
		kept = append(kept, e)
	}
	clear(l.ids[len(kept):])
	l.ids = kept
	for h := range l.content {
		if l.find(h) < 0 {
			delete(l.content, h)
		}
	}
}

// nthSmallest is the value that would be at index k of s sorted
// ascending, found by selection (s is reordered): a full value sorted its
// thousands of times at every poll of a busy source.
func nthSmallest(s []uint32, k int) uint32 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as pivot, then a three-way partition: times
		// repeat (every identity of one poll has the same), so equal keys
		// must not make it quadratic.
		a, b, c := s[lo], s[lo+(hi-lo)/2], s[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch {
			case s[i] < pivot:
				s[lt], s[i] = s[i], s[lt]
				lt++
				i++
			case s[i] > pivot:
				s[i], s[gt] = s[gt], s[i]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return pivot
		}
	}
	return s[k]
}

// mergeIDs merges two slices sorted by hash, the second's entries winning
// on equal hashes.
func mergeIDs(a, b []listedID) []listedID {
	out := make([]listedID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].h < b[j].h:
			out = append(out, a[i])
			i++
		case a[i].h > b[j].h:
			out = append(out, b[j])
			j++
		default:
			out = append(out, listedID{b[j].h, max(a[i].t, b[j].t)})
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

func (l *Listed) encode() []byte {
	b := make([]byte, 0, 12+12*len(l.ids)+40*len(l.content))
	b = append(b, listedMagic2[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.ids)))
	for _, e := range l.ids { // sorted by hash, as decodeListed reads them best
		b = binary.BigEndian.AppendUint64(b, e.h)
		b = binary.BigEndian.AppendUint32(b, e.t)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.content)))
	for h, c := range l.content {
		b = binary.BigEndian.AppendUint64(b, h)
		b = binary.BigEndian.AppendUint64(b, c.Title)
		b = binary.BigEndian.AppendUint64(b, c.Sim)
		var flags byte
		if c.Long {
			flags |= 1
		}
		if c.Updated {
			flags |= 2
		}
		b = append(b, flags)
		id := c.ID[:min(len(c.ID), 0xffff)]
		b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
		b = append(b, id...)
	}
	return b
}

// decodeListed reads a value: its identities sorted by hash (values written
// before they were kept sorted are sorted here) and the alerted entries'
// content.
func decodeListed(b []byte) ([]listedID, map[uint64]Content, error) {
	if len(b) < 8 || ([4]byte(b[:4]) != listedMagic && [4]byte(b[:4]) != listedMagic2) {
		return nil, nil, errors.New("not a listed value")
	}
	v2 := [4]byte(b[:4]) == listedMagic2
	n := int(binary.BigEndian.Uint32(b[4:8]))
	end := 8 + 12*n
	if len(b) < end || (!v2 && len(b) != end) {
		return nil, nil, fmt.Errorf("listed value of %d bytes for %d entries", len(b), n)
	}
	m := make([]listedID, 0, n)
	sorted := true
	for i := 8; i < end; i += 12 {
		e := listedID{binary.BigEndian.Uint64(b[i:]), binary.BigEndian.Uint32(b[i+8:])}
		if len(m) > 0 && m[len(m)-1].h >= e.h {
			sorted = false
		}
		m = append(m, e)
	}
	if !sorted {
		slices.SortFunc(m, func(a, b listedID) int { return cmp.Compare(a.h, b.h) })
		m = slices.CompactFunc(m, func(a, b listedID) bool { return a.h == b.h })
	}
	if !v2 {
		return m, nil, nil
	}
	rest := b[end:]
	if len(rest) < 4 {
		return nil, nil, errors.New("listed value: content section cut short")
	}
	k := int(binary.BigEndian.Uint32(rest))
	rest = rest[4:]
	content := make(map[uint64]Content, k)
	for range k {
		if len(rest) < 27 {
			return nil, nil, errors.New("listed value: content entry cut short")
		}
		h := binary.BigEndian.Uint64(rest)
		c := Content{Title: binary.BigEndian.Uint64(rest[8:]), Sim: binary.BigEndian.Uint64(rest[16:]),
			Long: rest[24]&1 != 0, Updated: rest[24]&2 != 0}
		l := int(binary.BigEndian.Uint16(rest[25:]))
		rest = rest[27:]
		if len(rest) < l {
			return nil, nil, errors.New("listed value: content id cut short")
		}
		c.ID, rest = string(rest[:l]), rest[l:]
		content[h] = c
	}
	return m, content, nil
}

func listedKey(source string) string { return "listed." + source }

// Listed reads the source's listed identities.
func (s *Store) Listed(ctx context.Context, source string) (*Listed, error) {
	e, err := s.state.Get(ctx, listedKey(source))
	if bus.IsNotFound(err) {
		return &Listed{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load listed identities: %w", err)
	}
	m, content, err := decodeListed(e.Value())
	if err != nil {
		return nil, fmt.Errorf("decode listed identities of %s: %w", source, err)
	}
	return &Listed{ids: m, content: content, rev: e.Revision()}, nil
}

// SaveListed prunes and writes the source's listed identities, if they
// changed. listedNow is how many entries the source lists now.
func (s *Store) SaveListed(ctx context.Context, source string, l *Listed, now time.Time, listedNow int) error {
	l.prune(now, listedNow)
	if !l.changed {
		return nil
	}
	rev, err := s.state.Put(ctx, listedKey(source), l.encode())
	if err != nil {
		return fmt.Errorf("save listed identities: %w", err)
	}
	l.rev, l.changed = rev, false
	return nil
}
