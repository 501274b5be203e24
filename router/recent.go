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
// (a watch keeps every replica's router in step). Records are indexed by
// the numbers of their titles, which two prints of one notice share (see
// repost.Same), so that a lookup reads the few records it could match, not
// the whole window.
type recent struct {
	kv jetstream.KeyValue

	mu        sync.Mutex
	byKey     map[string]*Record
	byNumbers map[string]map[string]*Record // numbersKey -> record key -> record
	swept     time.Time                     // when expired records were last dropped
}

// sweepEvery is how often expired records are dropped from memory (the
// bucket's TTL drops them from the store; a watch is not told).
const sweepEvery = time.Minute

// numbersKey is the index key of a print: its title's numbers.
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
	r := &recent{kv: kv, byKey: map[string]*Record{}, byNumbers: map[string]map[string]*Record{}}
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
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		r.removeLocked(e.Key())
		return
	}
	var rec Record
	if json.Unmarshal(e.Value(), &rec) == nil {
		r.addLocked(e.Key(), &rec)
	}
}

func (r *recent) addLocked(key string, rec *Record) {
	r.removeLocked(key)
	r.byKey[key] = rec
	nk := numbersKey(rec.Print)
	if r.byNumbers[nk] == nil {
		r.byNumbers[nk] = map[string]*Record{}
	}
	r.byNumbers[nk][key] = rec
}

func (r *recent) removeLocked(key string) {
	old, ok := r.byKey[key]
	if !ok {
		return
	}
	delete(r.byKey, key)
	nk := numbersKey(old.Print)
	delete(r.byNumbers[nk], key)
	if len(r.byNumbers[nk]) == 0 {
		delete(r.byNumbers, nk)
	}
}

// sweepLocked drops the records older than bus.RepostWindow, at most once
// every sweepEvery.
func (r *recent) sweepLocked(now time.Time) {
	if now.Sub(r.swept) < sweepEvery {
		return
	}
	r.swept = now
	for k, rec := range r.byKey {
		if now.Sub(rec.Detected) > bus.RepostWindow {
			r.removeLocked(k)
		}
	}
}

// alerted reports whether the item id was alerted within bus.RepostWindow
// (its record is written once its alert was stored).
func (r *recent) alerted(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.byKey[RecordKey(id)]
	return ok && rec.ID == id && now.Sub(rec.Detected) <= bus.RepostWindow
}

// find returns the most recent alert, other than id, that print p is the
// same notice as.
func (r *recent) find(p repost.Print, id string, now time.Time) *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(now)
	var best *Record
	for _, rec := range r.byNumbers[numbersKey(p)] {
		if now.Sub(rec.Detected) > bus.RepostWindow || rec.ID == id || !repost.Same(rec.Print, p) {
			continue
		}
		if best == nil || rec.Detected.After(best.Detected) {
			best = rec
		}
	}
	if best == nil {
		return nil
	}
	c := *best
	c.Regions, c.Also = slices.Clone(best.Regions), slices.Clone(best.Also)
	return &c
}

// corrected returns the recent alert a correction's title names (see
// repost.Corrects). Corrections are rare: every record is read.
func (r *recent) corrected(rest, id string, now time.Time) *Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best *Record
	for _, rec := range r.byKey {
		if now.Sub(rec.Detected) > bus.RepostWindow || rec.ID == id || !repost.Refers(rest, rec.Print) {
			continue
		}
		if best == nil || rec.Detected.After(best.Detected) {
			best = rec
		}
	}
	if best == nil {
		return nil
	}
	c := *best
	return &c
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
