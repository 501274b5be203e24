package router

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/repost"
)

// Record is a recent alert as the repost index reads it: enough to
// recognise the same notice published again, and the copies found so far.
// An alert with copies has one in QUALITYWATCH_RECENT, for
// bus.RepostWindow; the others are read from the alerts stream.
type Record struct {
	ID       string       `json:"id"`
	Source   string       `json:"source"`
	Link     string       `json:"link"`
	Title    string       `json:"title"`
	Detected time.Time    `json:"detected"`
	Regions  []string     `json:"regions"`
	Print    repost.Print `json:"print"`
	Also     []alert.Also `json:"also,omitempty"`
}

// RecordKey is the key of an alert's record.
func RecordKey(alertID string) string { return keyOf(alertID).String() }

// recent is the index of recent alerts. Its store is the alerts stream:
// each alert the router publishes carries its print in a header
// (bus.HeaderPrint), and an ordered consumer reading headers only keeps
// every replica's index in step. An alert found published again gets a
// record in the bucket (its copies); that record, when there is one, is
// what a lookup reads. So an alert costs no key of its own: the server
// keeps every key's subject in memory for the bucket's TTL.
//
// Memory holds only what recognising a repost needs, in fixed size (the
// record's key, its print's repost.Key, when, and where to read it), in
// slots of chunks that hold no pointers: about 125 bytes per alert, the
// maps' slack included (BenchmarkIndexBytesPerAlert; 180 bytes and an
// object per alert for the garbage collector to mark when each group was a
// slice of its own). Chunks are not given back: freed slots are reused, so
// the index keeps the size of the largest window it held. A candidate is
// read whole and confirmed. Entries are grouped by the numbers of their
// titles, which two prints of one notice share (see repost.Same), so that
// a lookup reads the few entries it could match, not the window. Updates and corrections are indexed so
// that they are known as alerted, but are never the first of a notice.
type recent struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue // records of alerts with copies
	alerts jetstream.Stream   // the alerts, read by sequence

	mu        sync.Mutex
	chunks    [][]slot            // the slots handed out (in use or free), chunkSlots to a chunk
	free      int32               // first free slot; none: -1
	byKey     map[recordKey]int32 // record key -> slot
	byNumbers map[uint64]int32    // numbers hash -> the group's newest slot
	swept     time.Time           // when expired entries were last dropped
}

// chunkSlots is the size of a chunk of slots: the index grows a chunk at a
// time, never copying what it holds.
const chunkSlots = 4096

// at is slot i.
func (r *recent) at(i int32) *slot { return &r.chunks[i/chunkSlots][i%chunkSlots] }

// newSlotLocked hands out a free slot, else a new one.
func (r *recent) newSlotLocked() int32 {
	if i := r.free; i >= 0 {
		r.free = r.at(i).next
		return i
	}
	if n := len(r.chunks); n == 0 || len(r.chunks[n-1]) == chunkSlots {
		r.chunks = append(r.chunks, make([]slot, 0, chunkSlots))
	}
	last := &r.chunks[len(r.chunks)-1]
	*last = append(*last, slot{})
	return int32((len(r.chunks)-1)*chunkSlots + len(*last) - 1)
}

// newestFirst walks the chain of the group under the numbers hash nk.
func (r *recent) newestFirst(nk uint64) iter.Seq[entry] {
	return func(yield func(entry) bool) {
		i, ok := r.byNumbers[nk]
		for ; ok && i >= 0; i = r.at(i).next {
			if !yield(r.at(i).entry) {
				return
			}
		}
	}
}

// slot holds an entry, chained to the next (older) of its group, or to the
// next free slot. Nothing in the index holds a pointer, so the garbage
// collector neither traces it nor counts an object per alert.
type slot struct {
	entry
	next int32 // none: -1
}

// recordKey is RecordKey's hash in fixed size.
type recordKey [16]byte

func keyOf(alertID string) recordKey {
	h := sha256.Sum256([]byte(alertID))
	return recordKey(h[:16])
}

// String is the bucket key (RecordKey).
func (k recordKey) String() string { return "a." + hex.EncodeToString(k[:]) }

// parseRecordKey reads a bucket key written by RecordKey.
func parseRecordKey(s string) (recordKey, bool) {
	var k recordKey
	h, ok := strings.CutPrefix(s, "a.")
	if !ok || hex.DecodedLen(len(h)) != len(k) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(h))
	return k, err == nil
}

// entry is an alert as the index keeps it in memory.
type entry struct {
	key      recordKey
	print    repost.Key // Title 0: an update, never the first of a notice
	detected int64      // unix nanoseconds
	seq      uint64     // the alert on the alerts stream; 0: its record in the bucket
}

func expired(detected int64, now time.Time) bool {
	return now.UnixNano()-detected > int64(bus.RepostWindow)
}

// sweepEvery is how often expired entries are dropped from memory (the
// bucket's TTL drops them from the store; a watch is not told).
const sweepEvery = time.Minute

func newRecent(js jetstream.JetStream, kv jetstream.KeyValue, alerts jetstream.Stream) *recent {
	return &recent{js: js, kv: kv, alerts: alerts, free: -1, byKey: map[recordKey]int32{}, byNumbers: map[uint64]int32{}}
}

// addRecordLocked indexes a record of the bucket.
func (r *recent) addRecordLocked(rec *Record) {
	k := keyOf(rec.ID)
	r.addLocked(entry{key: k, print: rec.Print.Key(), detected: rec.Detected.UnixNano()})
}

// addAlertLocked indexes an alert of the stream.
func (r *recent) addAlertLocked(a indexed) {
	pk := a.print.Key()
	if a.update {
		pk.Title = 0
	}
	r.addLocked(entry{key: a.key, print: pk, detected: a.at.UnixNano(), seq: a.seq})
}

// addLocked indexes e, replacing the entry of the same alert, except that
// an alert's record (its copies) is never replaced by the alert itself,
// and an alert is not indexed again when its copy on the stream comes
// back.
func (r *recent) addLocked(e entry) {
	if i, ok := r.byKey[e.key]; ok {
		if old := r.at(i).seq; e.seq != 0 && (old == 0 || old == e.seq) {
			return
		}
		r.removeLocked(e.key)
	}
	next, ok := r.byNumbers[e.print.Numbers]
	if !ok {
		next = -1
	}
	i := r.newSlotLocked()
	*r.at(i) = slot{entry: e, next: next}
	r.byKey[e.key] = i
	r.byNumbers[e.print.Numbers] = i
}

func (r *recent) removeLocked(k recordKey) {
	i, ok := r.byKey[k]
	if !ok {
		return
	}
	delete(r.byKey, k)
	nk := r.at(i).print.Numbers
	if head := r.byNumbers[nk]; head == i {
		if n := r.at(i).next; n >= 0 {
			r.byNumbers[nk] = n
		} else {
			delete(r.byNumbers, nk)
		}
	} else {
		for j := head; j >= 0; j = r.at(j).next {
			if r.at(j).next == i {
				r.at(j).next = r.at(i).next
				break
			}
		}
	}
	*r.at(i) = slot{next: r.free}
	r.free = i
}

// forget removes e, found gone from its store, unless its alert has been
// indexed anew since.
func (r *recent) forget(e entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i, ok := r.byKey[e.key]; ok && r.at(i).seq == e.seq && r.at(i).detected == e.detected {
		r.removeLocked(e.key)
	}
}

// groupLocked is the entries indexed under the numbers hash nk, in the
// order they were indexed.
func (r *recent) groupLocked(nk uint64) []entry {
	out := slices.Collect(r.newestFirst(nk))
	slices.Reverse(out)
	return out
}

// sweepLocked drops the entries older than bus.RepostWindow, at most once
// every sweepEvery.
func (r *recent) sweepLocked(now time.Time) {
	if now.Sub(r.swept) < sweepEvery {
		return
	}
	r.swept = now
	for k, i := range r.byKey {
		if expired(r.at(i).detected, now) {
			r.removeLocked(k)
		}
	}
}

// alerted reports whether the item id was alerted within bus.RepostWindow.
func (r *recent) alerted(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.byKey[keyOf(id)]
	return ok && !expired(r.at(i).detected, now)
}

// added indexes an alert the router published (its copy on the stream
// comes back through the follow, and is recognised).
func (r *recent) added(id string, seq uint64, p repost.Print, update bool, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addAlertLocked(indexed{id: id, key: keyOf(id), seq: seq, at: now, print: p, update: update})
}

// candidates are the entries of pk's group, other than self and updates,
// most recent first; with same, only those whose prints are the same
// notice as pk's.
func (r *recent) candidates(pk repost.Key, self recordKey, same bool, now time.Time) []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(now)
	var found []entry
	for e := range r.newestFirst(pk.Numbers) {
		if e.key != self && e.print.Title != 0 && !expired(e.detected, now) && (!same || repost.SameKey(e.print, pk)) {
			found = append(found, e)
		}
	}
	slices.Reverse(found) // the order indexed, for the ties of the stable sort
	slices.SortStableFunc(found, func(a, b entry) int { return cmp.Compare(b.detected, a.detected) })
	return found
}
