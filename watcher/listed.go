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
type Listed struct {
	at      map[uint64]uint32 // identity hash -> last listed (unix seconds)
	content map[uint64]Content
	rev     uint64 // the value's revision when read (0: none)
	changed bool
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
	defer func() {
		for h := range l.content {
			if _, ok := l.at[h]; !ok {
				delete(l.content, h)
			}
		}
	}()
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
	b := make([]byte, 0, 12+12*len(l.at)+40*len(l.content))
	b = append(b, listedMagic2[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.at)))
	for h, t := range l.at {
		b = binary.BigEndian.AppendUint64(b, h)
		b = binary.BigEndian.AppendUint32(b, t)
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

func decodeListed(b []byte) (map[uint64]uint32, map[uint64]Content, error) {
	if len(b) < 8 || ([4]byte(b[:4]) != listedMagic && [4]byte(b[:4]) != listedMagic2) {
		return nil, nil, errors.New("not a listed value")
	}
	v2 := [4]byte(b[:4]) == listedMagic2
	n := int(binary.BigEndian.Uint32(b[4:8]))
	end := 8 + 12*n
	if len(b) < end || (!v2 && len(b) != end) {
		return nil, nil, fmt.Errorf("listed value of %d bytes for %d entries", len(b), n)
	}
	m := make(map[uint64]uint32, n)
	for i := 8; i < end; i += 12 {
		m[binary.BigEndian.Uint64(b[i:])] = binary.BigEndian.Uint32(b[i+8:])
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
		return &Listed{at: map[uint64]uint32{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load listed identities: %w", err)
	}
	m, content, err := decodeListed(e.Value())
	if err != nil {
		return nil, fmt.Errorf("decode listed identities of %s: %w", source, err)
	}
	return &Listed{at: m, content: content, rev: e.Revision()}, nil
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
