package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/repost"
)

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
		r.addAlertLocked(a)
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

func (r *recent) apply(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		if k, ok := parseRecordKey(e.Key()); ok {
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

// find returns the most recent alert, other than id, that print p is the
// same notice as, read whole.
//
// The index's candidates are tried from the most recent: one the store no
// longer has, or holds in a form it cannot read (the bucket's TTL runs on
// the server's clock, and no watch event tells of it; the stream's
// retention may have trimmed it; an alert stored by an earlier version has
// no print) leaves the index; one whose whole print is not the same notice
// (a hash collision) is passed over.
func (r *recent) find(ctx context.Context, p repost.Print, id string, now time.Time) (*Record, error) {
	return r.first(ctx, r.candidates(p.Key(), keyOf(id), true, now), func(rec *Record) bool {
		return rec.ID != id && repost.Same(rec.Print, p)
	})
}

// first reads the candidates in order and returns the first record ok
// accepts (nil when none does); a candidate gone from its store leaves the
// index.
func (r *recent) first(ctx context.Context, cands []entry, ok func(*Record) bool) (*Record, error) {
	for _, c := range cands {
		rec, err := r.read(ctx, c)
		if errors.Is(err, errGone) {
			r.forget(c)
			continue
		}
		if err != nil {
			return nil, err
		}
		if ok(rec) {
			return rec, nil
		}
	}
	return nil, nil
}

// errGone says that the store no longer has an indexed alert, or not in a
// form that can be read.
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
			return nil, fmt.Errorf("record %s: %w: %v", e.key, errGone, err)
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
	if err != nil || keyOf(rec.ID) != e.key {
		return nil, fmt.Errorf("alert %d: %w: %v", e.seq, errGone, err)
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

// correctionLookup bounds the lookup of a correction's original: it runs
// while the router holds items (whose ack wait is ackWait), and a
// correction whose original is not found in time is alerted as a notice of
// its own (with the best match found so far, if any, as its original).
const correctionLookup = 3 * time.Second

// correctionGroup is the most alerts of the correction's own title-numbers
// group read one by one (titles without numbers, or with only a year,
// share a large group).
const correctionGroup = 32

// corrected returns the id of the most recent alert, other than id and
// other than updates, that a correction's title names (see
// repost.Corrects), or "". Naming is by the titles' text, which the index
// does not keep: the most recent alerts that share the correction's title
// numbers are read first; when none is named, the prints of the window's
// alerts are read from the stream, and the bucket's records (which stores
// written before held for every alert). All of it within correctionLookup.
// Corrections are rare.
func (r *recent) corrected(ctx context.Context, rest string, p repost.Print, id string, now time.Time) (string, error) {
	lctx, cancel := context.WithTimeout(ctx, correctionLookup)
	defer cancel()
	best, err := r.lookupCorrected(lctx, rest, p, id, now)
	if err != nil && lctx.Err() != nil && ctx.Err() == nil {
		return best, nil // out of time: what was found so far
	}
	return best, err
}

func (r *recent) lookupCorrected(ctx context.Context, rest string, p repost.Print, id string, now time.Time) (string, error) {
	cands := r.candidates(p.Key(), keyOf(id), false, now)
	rec, err := r.first(ctx, cands[:min(len(cands), correctionGroup)], func(rec *Record) bool {
		return rec.ID != id && repost.Refers(rest, rec.Print)
	})
	if err != nil {
		return "", err
	}
	if rec != nil {
		return rec.ID, nil
	}
	return r.scanCorrected(ctx, rest, id, now)
}

// scanCorrected reads every print of the window for the correction's
// original; on an error it returns the best found so far with it.
func (r *recent) scanCorrected(ctx context.Context, rest, id string, now time.Time) (string, error) {
	bestID, bestAt := "", time.Time{}
	consider := func(aid string, p repost.Print, at time.Time) {
		if now.Sub(at) > bus.RepostWindow || aid == id || !repost.Refers(rest, p) {
			return
		}
		if bestID == "" || at.After(bestAt) {
			bestID, bestAt = aid, at
		}
	}
	found := make(chan indexed, 16)
	caught, err := followAlerts(ctx, r.js, now.Add(-bus.RepostWindow), false, func(a indexed) {
		if !a.update && repost.Refers(rest, a.print) {
			select {
			case found <- a:
			case <-ctx.Done():
			}
		}
	})
	if err != nil {
		return "", err
	}
	for done := false; !done; {
		select {
		case a := <-found:
			consider(a.id, a.print, a.at)
		case <-caught:
			done = true
		case <-ctx.Done():
			return bestID, ctx.Err()
		}
	}
	for len(found) > 0 { // sent before the scan was caught up
		a := <-found
		consider(a.id, a.print, a.at)
	}
	w, err := r.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return bestID, fmt.Errorf("read %s: %w", bus.RecentBucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-w.Updates():
		case <-ctx.Done():
			return bestID, ctx.Err()
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
