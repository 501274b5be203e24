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

// listedMagic starts an encoded value (version 1).
var listedMagic = [4]byte{'Q', 'W', 'L', '1'}

// Listed is a source's recently listed identities.
type Listed struct {
	at      map[uint64]uint32 // identity hash -> last listed (unix seconds)
	rev     uint64            // the value's revision when read (0: none)
	changed bool
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
		if _, ok := l.at[h]; ok {
			return true
		}
	}
	return false
}

// Touch records the hashes as listed at t.
func (l *Listed) Touch(hashes []uint64, t time.Time) {
	sec := uint32(t.Unix())
	for _, h := range hashes {
		if old, ok := l.at[h]; !ok || old < sec {
			// Listing again within the hour is not a change worth a write.
			if !ok || sec-old > 3600 {
				l.changed = true
			}
			l.at[h] = sec
		}
	}
}

// Len is the number of identities kept.
func (l *Listed) Len() int { return len(l.at) }

// Empty reports whether the source has no value yet.
func (l *Listed) Empty() bool { return l.rev == 0 && len(l.at) == 0 }

// prune drops what is no longer worth keeping (see the file comment).
func (l *Listed) prune(now time.Time, listedNow int) {
	cutoff := uint32(now.Add(-ListedMargin).Unix())
	for h, t := range l.at {
		if t < cutoff {
			delete(l.at, h)
			l.changed = true
		}
	}
	limit := max(4*listedNow, MinListed)
	if len(l.at) <= limit {
		return
	}
	type entry struct {
		h uint64
		t uint32
	}
	all := make([]entry, 0, len(l.at))
	for h, t := range l.at {
		all = append(all, entry{h, t})
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(b.t, a.t) })
	for _, e := range all[limit:] {
		delete(l.at, e.h)
	}
	l.changed = true
}

func (l *Listed) encode() []byte {
	b := make([]byte, 0, 8+12*len(l.at))
	b = append(b, listedMagic[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.at)))
	for h, t := range l.at {
		b = binary.BigEndian.AppendUint64(b, h)
		b = binary.BigEndian.AppendUint32(b, t)
	}
	return b
}

func decodeListed(b []byte) (map[uint64]uint32, error) {
	if len(b) < 8 || [4]byte(b[:4]) != listedMagic {
		return nil, errors.New("not a listed value")
	}
	n := int(binary.BigEndian.Uint32(b[4:8]))
	if len(b) != 8+12*n {
		return nil, fmt.Errorf("listed value of %d bytes for %d entries", len(b), n)
	}
	m := make(map[uint64]uint32, n)
	for i := 8; i < len(b); i += 12 {
		m[binary.BigEndian.Uint64(b[i:])] = binary.BigEndian.Uint32(b[i+8:])
	}
	return m, nil
}

func listedKey(source string) string { return "listed." + source }

// Listed reads the source's listed identities. cached, when it holds the
// same revision, is returned as it is (no decoding).
func (s *Store) Listed(ctx context.Context, source string, cached *Listed) (*Listed, error) {
	e, err := s.state.Get(ctx, listedKey(source))
	if bus.IsNotFound(err) {
		return &Listed{at: map[uint64]uint32{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load listed identities: %w", err)
	}
	if cached != nil && cached.rev == e.Revision() && !cached.changed {
		return cached, nil
	}
	m, err := decodeListed(e.Value())
	if err != nil {
		return nil, fmt.Errorf("decode listed identities of %s: %w", source, err)
	}
	return &Listed{at: m, rev: e.Revision()}, nil
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
