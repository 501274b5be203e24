package router

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/repost"
)

// Record is a recent alert as the repost index keeps it (in
// QUALITYWATCH_RECENT, for bus.RepostWindow): enough to recognise the same
// notice published again, and the copies found so far.
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
func RecordKey(alertID string) string {
	h := sha256.Sum256([]byte(alertID))
	return "a." + hex.EncodeToString(h[:16])
}

// recent is the index of recent alerts, mirrored in memory from the bucket
// (a watch keeps every replica's router in step). It keeps in memory only
// what recognising a repost needs (the print, the id, when); a record
// found is read whole from the bucket. Entries are indexed by the numbers
// of their titles, which two prints of one notice share (see repost.Same),
// so that a lookup reads the few entries it could match, not the window.
type recent struct {
	kv jetstream.KeyValue

	mu        sync.Mutex
	byKey     map[string]*entry
	byNumbers map[string][]*entry // numbersKey -> entries
	swept     time.Time           // when expired entries were last dropped
}

// entry is a record as the index keeps it in memory. Its print's Numbers
// are left out: they are its byNumbers key.
type entry struct {
	key, id, numbers string // numbers: its byNumbers key
	detected         time.Time
	print            repost.Print
}

// sweepEvery is how often expired entries are dropped from memory (the
// bucket's TTL drops them from the store; a watch is not told).
const sweepEvery = time.Minute

// numbersKey is the index key of a print: its title's numbers (digits and
// dots, so the space between them is unambiguous).
func numbersKey(p repost.Print) string { return strings.Join(p.Numbers, " ") }

// openRecent loads the index and keeps it in step with the bucket until
// ctx ends.
func openRecent(ctx context.Context, js jetstream.JetStream) (*recent, error) {
	kv, err := js.KeyValue(ctx, bus.RecentBucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bus.RecentBucket, err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", bus.RecentBucket, err)
	}
	r := &recent{kv: kv, byKey: map[string]*entry{}, byNumbers: map[string][]*entry{}}
	loaded := make(chan struct{})
	go func() {
		defer func() { _ = w.Stop() }()
		first := true
		for e := range w.Updates() {
			if e == nil {
				if first {
					close(loaded)
					first = false
				}
				continue
			}
			r.apply(e)
		}
		if first {
			close(loaded)
		}
	}()
	select {
	case <-loaded:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return r, nil
}

func (r *recent) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		r.mu.Lock()
		r.removeLocked(e.Key())
		r.mu.Unlock()
		return
	}
	var rec Record
	if json.Unmarshal(e.Value(), &rec) == nil {
		r.mu.Lock()
		r.addLocked(e.Key(), &rec)
		r.mu.Unlock()
	}
}

func (r *recent) addLocked(key string, rec *Record) {
	if old, ok := r.byKey[key]; ok && old.id == rec.ID && old.detected.Equal(rec.Detected) {
		return // the same alert again (a copy recorded on it): its print is unchanged
	}
	r.removeLocked(key)
	p := rec.Print
	nk := numbersKey(p)
	p.Numbers = nil
	e := &entry{key: key, id: rec.ID, numbers: nk, detected: rec.Detected, print: p}
	r.byKey[key] = e
	r.byNumbers[nk] = append(r.byNumbers[nk], e)
}

func (r *recent) removeLocked(key string) {
	old, ok := r.byKey[key]
	if !ok {
		return
	}
	delete(r.byKey, key)
	list := slices.DeleteFunc(r.byNumbers[old.numbers], func(e *entry) bool { return e == old })
	if len(list) == 0 {
		delete(r.byNumbers, old.numbers)
	} else {
		r.byNumbers[old.numbers] = list
	}
}

// sweepLocked drops the entries older than bus.RepostWindow, at most once
// every sweepEvery.
func (r *recent) sweepLocked(now time.Time) {
	if now.Sub(r.swept) < sweepEvery {
		return
	}
	r.swept = now
	for nk, list := range r.byNumbers {
		kept := slices.DeleteFunc(list, func(e *entry) bool {
			if now.Sub(e.detected) > bus.RepostWindow {
				delete(r.byKey, e.key)
				return true
			}
			return false
		})
		if len(kept) == 0 {
			delete(r.byNumbers, nk)
		} else {
			r.byNumbers[nk] = kept
		}
	}
}

// alerted reports whether the item id was alerted within bus.RepostWindow
// (its record is written once its alert was stored).
func (r *recent) alerted(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byKey[RecordKey(id)]
	return ok && e.id == id && now.Sub(e.detected) <= bus.RepostWindow
}

// find returns the most recent alert, other than id, that print p is the
// same notice as, read whole from the bucket.
//
// A record the bucket no longer has (its TTL runs on the server's clock, and
// no watch event tells of it) leaves the index, and the next best is tried.
func (r *recent) find(ctx context.Context, p repost.Print, id string, now time.Time) (*Record, error) {
	for {
		best := r.best(p, id, now)
		if best == nil {
			return nil, nil
		}
		kv, err := r.kv.Get(ctx, best.key)
		if bus.IsNotFound(err) {
			r.mu.Lock()
			if r.byKey[best.key] == best {
				r.removeLocked(best.key)
			}
			r.mu.Unlock()
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read record of %s: %w", best.id, err)
		}
		var rec Record
		if err := json.Unmarshal(kv.Value(), &rec); err != nil {
			return nil, fmt.Errorf("decode record of %s: %w", best.id, err)
		}
		return &rec, nil
	}
}

// best is the most recent entry, other than id, that print p is the same
// notice as.
func (r *recent) best(p repost.Print, id string, now time.Time) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(now)
	var best *entry
	for _, e := range r.byNumbers[numbersKey(p)] {
		ep := e.print
		ep.Numbers = p.Numbers // equal: they are the entry's index key
		if now.Sub(e.detected) > bus.RepostWindow || e.id == id || !repost.Same(ep, p) {
			continue
		}
		if best == nil || e.detected.After(best.detected) {
			best = e
		}
	}
	return best
}

// corrected returns the id of the recent alert a correction's title names
// (see repost.Corrects), or "". Corrections are rare: every entry is read.
func (r *recent) corrected(rest, id string, now time.Time) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best *entry
	for _, e := range r.byKey {
		if now.Sub(e.detected) > bus.RepostWindow || e.id == id || !repost.Refers(rest, e.print) {
			continue
		}
		if best == nil || e.detected.After(best.detected) {
			best = e
		}
	}
	if best == nil {
		return ""
	}
	return best.id
}

// put stores a record.
func (r *recent) put(ctx context.Context, rec *Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	if _, err := r.kv.Put(ctx, RecordKey(rec.ID), b); err != nil {
		return fmt.Errorf("save record of %s: %w", rec.ID, err)
	}
	r.mu.Lock()
	r.addLocked(RecordKey(rec.ID), rec)
	r.mu.Unlock()
	return nil
}

// Records reads the recent alerts' records, for the status API.
type Records struct{ kv jetstream.KeyValue }

// OpenRecords binds the recent-alerts bucket once for many lookups.
func OpenRecords(ctx context.Context, js jetstream.JetStream) (*Records, error) {
	kv, err := js.KeyValue(ctx, bus.RecentBucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bus.RecentBucket, err)
	}
	return &Records{kv: kv}, nil
}

// Also returns the copies recorded for an alert (none when it is not
// recent or had none).
func (r *Records) Also(ctx context.Context, alertID string) ([]alert.Also, error) {
	e, err := r.kv.Get(ctx, RecordKey(alertID))
	if bus.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(e.Value(), &rec); err != nil {
		return nil, fmt.Errorf("decode record of %s: %w", alertID, err)
	}
	return rec.Also, nil
}
