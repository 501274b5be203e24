package router

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
func RecordKey(alertID string) string { return keyOf(alertID).String() }

// recent is the index of recent alerts. Its store is the alerts stream:
// each alert the router indexes carries its print in a header
// (bus.HeaderPrint), and an ordered consumer reading headers only keeps
// every replica's index in step. An alert found published again gets a
// record in the bucket (its copies); that record, when there is one, is
// what a lookup reads. So an alert costs no key of its own: the server
// keeps every key's subject in memory for the bucket's TTL.
//
// Memory holds only what recognising a repost needs, in fixed size (the
// record's key, its print's repost.Key, when, and where to read it): about
// 100 bytes per alert. A candidate is read whole and confirmed. Entries
// are grouped by the numbers of their titles, which two prints of one
// notice share (see repost.Same), so that a lookup reads the few entries
// it could match, not the window.
type recent struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue // records of alerts with copies
	alerts jetstream.Stream   // the alerts, read by sequence

	mu        sync.Mutex
	byKey     map[recordKey]uint64 // record key -> its group (numbers hash)
	byNumbers map[uint64][]entry   // numbers hash -> entries
	swept     time.Time            // when expired entries were last dropped
}

// recordKey is RecordKey's hash in fixed size.
type recordKey [16]byte

func keyOf(alertID string) recordKey {
	h := sha256.Sum256([]byte(alertID))
	return recordKey(h[:16])
}

// String is the bucket key (RecordKey).
func (k recordKey) String() string { return "a." + hex.EncodeToString(k[:]) }

// entry is an alert as the index keeps it in memory.
type entry struct {
	key      recordKey
	print    repost.Key
	detected int64  // unix nanoseconds
	seq      uint64 // the alert on the alerts stream; 0: its record in the bucket
}

func (e *entry) expired(now time.Time) bool {
	return now.UnixNano()-e.detected > int64(bus.RepostWindow)
}

// sweepEvery is how often expired entries are dropped from memory (the
// bucket's TTL drops them from the store; a watch is not told).
const sweepEvery = time.Minute

// openRecent loads the index and keeps it in step with the alerts stream
// and the bucket until ctx ends.
func openRecent(ctx context.Context, js jetstream.JetStream) (*recent, error) {
	kv, err := js.KeyValue(ctx, bus.RecentBucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bus.RecentBucket, err)
	}
	alerts, err := js.Stream(ctx, bus.AlertsStream)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", bus.AlertsStream, err)
	}
	r := newRecent(js, kv, alerts)
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", bus.RecentBucket, err)
	}
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
	caught, err := followAlerts(ctx, js, time.Now().Add(-bus.RepostWindow), true, func(a indexed) {
		r.mu.Lock()
		r.addLocked(a.key, entry{key: a.key, print: a.print.Key(), detected: a.at.UnixNano(), seq: a.seq})
		r.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	for _, c := range []<-chan struct{}{loaded, caught} {
		select {
		case <-c:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return r, nil
}

func newRecent(js jetstream.JetStream, kv jetstream.KeyValue, alerts jetstream.Stream) *recent {
	return &recent{js: js, kv: kv, alerts: alerts, byKey: map[recordKey]uint64{}, byNumbers: map[uint64][]entry{}}
}

func (r *recent) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		k, ok := parseRecordKey(e.Key())
		if ok {
			r.mu.Lock()
			r.removeLocked(k)
			r.mu.Unlock()
		}
		return
	}
	var rec Record
	if json.Unmarshal(e.Value(), &rec) == nil {
		r.mu.Lock()
		r.addRecordLocked(&rec)
		r.mu.Unlock()
	}
}

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

// addRecordLocked indexes a record of the bucket.
func (r *recent) addRecordLocked(rec *Record) {
	k := keyOf(rec.ID)
	r.addLocked(k, entry{key: k, print: rec.Print.Key(), detected: rec.Detected.UnixNano()})
}

// addLocked indexes e, replacing the entry of the same alert, except that
// an alert's record (its copies) is never replaced by the alert itself.
func (r *recent) addLocked(k recordKey, e entry) {
	if nk, ok := r.byKey[k]; ok {
		if e.seq != 0 && slices.ContainsFunc(r.byNumbers[nk], func(old entry) bool { return old.key == k && old.seq == 0 }) {
			return
		}
		r.removeLocked(k)
	}
	r.byKey[k] = e.print.Numbers
	r.byNumbers[e.print.Numbers] = append(r.byNumbers[e.print.Numbers], e)
}

func (r *recent) removeLocked(k recordKey) {
	nk, ok := r.byKey[k]
	if !ok {
		return
	}
	delete(r.byKey, k)
	r.setGroupLocked(nk, slices.DeleteFunc(r.byNumbers[nk], func(e entry) bool { return e.key == k }))
}

func (r *recent) setGroupLocked(nk uint64, list []entry) {
	if len(list) == 0 {
		delete(r.byNumbers, nk)
	} else {
		r.byNumbers[nk] = list
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
		r.setGroupLocked(nk, slices.DeleteFunc(list, func(e entry) bool {
			if e.expired(now) {
				delete(r.byKey, e.key)
				return true
			}
			return false
		}))
	}
}

// alerted reports whether the item id was alerted within bus.RepostWindow.
func (r *recent) alerted(id string, now time.Time) bool {
	k := keyOf(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	nk, ok := r.byKey[k]
	if !ok {
		return false
	}
	for _, e := range r.byNumbers[nk] {
		if e.key == k {
			return !e.expired(now)
		}
	}
	return false
}

// find returns the most recent alert, other than id, that print p is the
// same notice as, read whole.
//
// The index's candidates are tried from the most recent: one the store no
// longer has (the bucket's TTL runs on the server's clock, and no watch
// event tells of it; the stream's retention may be shorter than the
// window) leaves the index; one whose whole print is not the same notice
// (a hash collision) is passed over.
func (r *recent) find(ctx context.Context, p repost.Print, id string, now time.Time) (*Record, error) {
	for _, c := range r.candidates(p.Key(), keyOf(id), now) {
		rec, err := r.read(ctx, c)
		if errors.Is(err, errGone) {
			r.mu.Lock()
			r.removeLocked(c.key)
			r.mu.Unlock()
			continue
		}
		if err != nil {
			return nil, err
		}
		if rec.ID != id && repost.Same(rec.Print, p) {
			return rec, nil
		}
	}
	return nil, nil
}

// candidates are the entries, other than self, whose prints are the same
// notice as pk's, most recent first.
func (r *recent) candidates(pk repost.Key, self recordKey, now time.Time) []entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sweepLocked(now)
	var found []entry
	for _, e := range r.byNumbers[pk.Numbers] {
		if e.key != self && !e.expired(now) && repost.SameKey(e.print, pk) {
			found = append(found, e)
		}
	}
	slices.SortStableFunc(found, func(a, b entry) int { return cmp.Compare(b.detected, a.detected) })
	return found
}

// errGone says that the store no longer has an indexed alert.
var errGone = errors.New("no longer stored")

// read reads an entry's alert whole: its record from the bucket, or the
// alert from the stream.
func (r *recent) read(ctx context.Context, e entry) (*Record, error) {
	if e.seq == 0 {
		kv, err := r.kv.Get(ctx, e.key.String())
		if bus.IsNotFound(err) {
			return nil, errGone
		}
		if err != nil {
			return nil, fmt.Errorf("read record %s: %w", e.key, err)
		}
		var rec Record
		if err := json.Unmarshal(kv.Value(), &rec); err != nil {
			return nil, fmt.Errorf("decode record %s: %w", e.key, err)
		}
		return &rec, nil
	}
	m, err := r.alerts.GetMsg(ctx, e.seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, errGone
	}
	if err != nil {
		return nil, fmt.Errorf("read alert %d: %w", e.seq, err)
	}
	rec, err := recordOf(m.Data, m.Header.Get(bus.HeaderPrint))
	if err != nil {
		return nil, fmt.Errorf("alert %d: %w", e.seq, err)
	}
	if keyOf(rec.ID) != e.key {
		return nil, errGone // not the alert indexed (a store replaced under it)
	}
	return rec, nil
}

// recordOf is the record of an alert as the stream holds it.
func recordOf(body []byte, print string) (*Record, error) {
	var a alert.Alert
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("decode alert: %w", err)
	}
	rec := &Record{ID: a.ID, Source: a.Source, Link: a.Link, Title: a.Title, Regions: a.Regions}
	if err := json.Unmarshal([]byte(print), &rec.Print); err != nil {
		return nil, fmt.Errorf("decode %s: %w", bus.HeaderPrint, err)
	}
	t, err := time.Parse(time.RFC3339, a.Detected)
	if err != nil {
		return nil, fmt.Errorf("alert detected: %w", err)
	}
	rec.Detected = t
	return rec, nil
}

// corrected returns the id of the most recent alert, other than id, that
// a correction's title names (see repost.Corrects), or "". Corrections are
// rare, and naming is by the titles' text, which the index does not keep:
// the prints of the window's alerts are read from the stream, and the
// bucket's records (which stores written before held for every alert).
func (r *recent) corrected(ctx context.Context, rest, id string, now time.Time) (string, error) {
	bestID, bestAt := "", time.Time{}
	consider := func(aid string, p repost.Print, at time.Time) {
		if now.Sub(at) > bus.RepostWindow || aid == id || !repost.Refers(rest, p) {
			return
		}
		if bestID == "" || at.After(bestAt) {
			bestID, bestAt = aid, at
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // the scan's handler runs on the client's goroutine
	caught, err := followAlerts(cctx, r.js, now.Add(-bus.RepostWindow), false, func(a indexed) {
		mu.Lock()
		consider(a.id, a.print, a.at)
		mu.Unlock()
	})
	if err != nil {
		return "", err
	}
	select {
	case <-caught:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	cancel()
	w, err := r.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return "", fmt.Errorf("read %s: %w", bus.RecentBucket, err)
	}
	defer func() { _ = w.Stop() }()
	mu.Lock()
	defer mu.Unlock()
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if e == nil {
			return bestID, nil // all read
		}
		var rec Record
		if json.Unmarshal(e.Value(), &rec) == nil {
			consider(rec.ID, rec.Print, rec.Detected)
		}
	}
}

// added indexes an alert the router published (the stream's copy will
// come too, from the follow).
func (r *recent) added(id string, seq uint64, p repost.Print, now time.Time) {
	k := keyOf(id)
	r.mu.Lock()
	r.addLocked(k, entry{key: k, print: p.Key(), detected: now.UnixNano(), seq: seq})
	r.mu.Unlock()
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
	r.addRecordLocked(rec)
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
