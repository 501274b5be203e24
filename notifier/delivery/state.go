package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
)

// state is one notifier's share of the state bucket (bus.StateBucket): its
// delivered marks and its digest window. It alone knows their keys, which
// existing stores hold and which therefore never change:
//
//	delivered.<name>.<hash(alert id)>    the alert's record: the target accepted it
//	                                     (an RFC 3339 time), or a send of it was
//	                                     begun (an intent: a JSON object)
//	sending.<name>.<hash(alert id)>      an intent, as stores before the record
//	                                     held both wrote it (read, never written)
//	digest.<name>.item.<hash(alert id)>  an admitted alert waiting for the digest
//	digest.<name>.due                    when the window closes, and for which spec
//
// Delivery is at least once, and the record written around each send keeps
// repeats to the one case no sender can rule out. Before each attempt the
// runner writes the intent; the moment the target accepted, it replaces it
// with the delivered mark, then acks; when the target refused, it removes
// the intent. One key per alert and notifier, read once per delivery: the
// server keeps every key's subject in memory for the bucket's TTL. A
// redelivered alert (its holder died: the server hands it out again after
// AckWait) is judged by what it finds:
//
//   - a mark: the target has it; acked, not sent again;
//   - no mark and no intent: the holder died before sending (waiting for
//     quiet hours, the rate limit, a retry): sent, and the target gets it
//     once;
//   - an intent and no mark: the holder died while the target was answering,
//     or in the milliseconds between its acceptance and the mark. Whether
//     the target kept the message is unknown, so it is sent again and a
//     warning says that the target may get it twice.
//
// So a crash repeats at most the one message a runner was sending (an
// immediate runner holds one alert at a time; a digest sends one part at a
// time), and only when it fell inside that send. Channels carry the alert
// id (or a digest's) so that receivers can drop the repeat (see
// notifier.DedupKey). The intent after a successful send stays, superseded
// by the mark; both expire with the bucket.
//
// Alert ids are arbitrary text; their hash is a valid key token.
type state struct {
	kv   jetstream.KeyValue
	name string
}

// openState binds the bucket created by bus.Setup for the notifier name.
func openState(ctx context.Context, js jetstream.JetStream, name string) (*state, error) {
	kv, err := js.KeyValue(ctx, bus.StateBucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", bus.StateBucket, err)
	}
	return &state{kv: kv, name: name}, nil
}

func idHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:16])
}

func (st *state) markKey(alertID string) string {
	return "delivered." + st.name + "." + idHash(alertID)
}

// legacyIntentKey is where stores written before the one record per alert
// kept intents.
func (st *state) legacyIntentKey(alertID string) string {
	return "sending." + st.name + "." + idHash(alertID)
}
func (st *state) itemKey(alertID string) string {
	return "digest." + st.name + ".item." + idHash(alertID)
}
func (st *state) itemFilter() string { return "digest." + st.name + ".item.>" }
func (st *state) dueKey() string     { return "digest." + st.name + ".due" }

// record is what the state says of one alert for the notifier.
type record struct {
	delivered bool   // the target accepted it
	sending   bool   // a send was begun and never ended (see interrupted)
	intent    intent // when sending: when which attempt began
}

// isMark reports whether a record's value is a delivered mark (a time)
// rather than an intent (a JSON object).
func isMark(v []byte) bool { return len(v) == 0 || v[0] != '{' }

// lookup reads the alert's record: one read answers both whether it was
// delivered and whether a send of it was interrupted. A store written
// before the record held both may still have an intent under its old key:
// it is read only when the record is absent on a redelivery (legacy).
func (st *state) lookup(ctx context.Context, alertID string, legacy bool) (record, error) {
	e, err := st.kv.Get(ctx, st.markKey(alertID))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		if !legacy {
			return record{}, nil
		}
		return st.legacyIntent(ctx, alertID)
	case err != nil:
		return record{}, fmt.Errorf("read delivered mark: %w", err)
	}
	v := e.Value()
	if isMark(v) {
		return record{delivered: true}, nil
	}
	var r record
	r.sending = true
	_ = json.Unmarshal(v, &r.intent) // an unreadable intent still says a send began
	return r, nil
}

func (st *state) legacyIntent(ctx context.Context, alertID string) (record, error) {
	e, err := st.kv.Get(ctx, st.legacyIntentKey(alertID))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return record{}, nil
	case err != nil:
		return record{}, fmt.Errorf("read send intent: %w", err)
	}
	r := record{sending: true}
	_ = json.Unmarshal(e.Value(), &r.intent)
	return r, nil
}

// delivered reports whether the notifier already delivered the alert.
func (st *state) delivered(ctx context.Context, alertID string) (bool, error) {
	r, err := st.lookup(ctx, alertID, false)
	return r.delivered, err
}

// markDelivered records that the notifier delivered the alert at at,
// replacing its intent.
func (st *state) markDelivered(ctx context.Context, alertID string, at time.Time) error {
	if _, err := st.kv.Put(ctx, st.markKey(alertID), []byte(at.UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("write delivered mark: %w", err)
	}
	return nil
}

// intent is what the sending record holds: when which attempt began.
type intent struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
}

// errDelivered says that every alert of a send already has a delivered
// mark: another holder delivered them while this one waited.
var errDelivered = errors.New("already delivered")

// begin records, before an attempt, that alerts are being sent. A send
// must not start when it fails: a crash could then repeat it unnoticed.
// A mark is never overwritten (another holder of a redelivered alert may
// have written it meanwhile); when every alert has one, begin returns
// errDelivered and nothing is to be sent.
func (st *state) begin(ctx context.Context, alerts []alert.Alert, attempt int, at time.Time) error {
	b, _ := json.Marshal(intent{At: at.UTC(), Attempt: attempt})
	marked := 0
	for _, a := range alerts {
		key := st.markKey(a.ID)
		if _, err := st.kv.Create(ctx, key, b); err == nil {
			continue
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("write send intent: %w", err)
		}
		e, err := st.kv.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read delivered mark: %w", err)
		}
		if isMark(e.Value()) {
			marked++
			continue
		}
		if _, err := st.kv.Update(ctx, key, b, e.Revision()); err != nil {
			return fmt.Errorf("write send intent: %w", err)
		}
	}
	if marked == len(alerts) && marked > 0 {
		return errDelivered
	}
	return nil
}

// refused removes the intents of alerts the target refused: nothing was
// delivered, so a crash before the next attempt repeats nothing. What is
// not removed only makes a later resend warn needlessly. A mark written
// since (by another holder) is never removed.
func (st *state) refused(ctx context.Context, alerts []alert.Alert) error {
	var errs []error
	for _, a := range alerts {
		key := st.markKey(a.ID)
		e, err := st.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if isMark(e.Value()) {
			continue // a mark
		}
		if err := st.kv.Delete(ctx, key, jetstream.LastRevision(e.Revision())); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove send intent: %w", err)
	}
	return nil
}

// storedAlert is one alert waiting for its digest.
type storedAlert struct {
	Seq     uint64          `json:"seq"` // alerts-stream sequence: digest order
	Subject string          `json:"subject"`
	Alert   json.RawMessage `json:"alert"`
}

// hold stores an admitted alert in the digest window.
func (st *state) hold(ctx context.Context, alertID string, sa storedAlert) error {
	b, err := json.Marshal(sa)
	if err != nil {
		return fmt.Errorf("encode stored alert: %w", err)
	}
	if _, err := st.kv.Put(ctx, st.itemKey(alertID), b); err != nil {
		return fmt.Errorf("store alert: %w", err)
	}
	return nil
}

// heldEntry is one key of the window and what it holds, undecoded.
type heldEntry struct {
	key   string
	value []byte
}

// held returns the window's entries in key order.
func (st *state) held(ctx context.Context) ([]heldEntry, error) {
	lister, err := st.kv.ListKeysFiltered(ctx, st.itemFilter())
	if err != nil {
		return nil, fmt.Errorf("list window: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	_ = lister.Stop()
	var out []heldEntry
	for _, k := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		e, err := st.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read window: %w", err)
		}
		out = append(out, heldEntry{key: k, value: e.Value()})
	}
	return out, nil
}

// release removes one entry from the window.
func (st *state) release(ctx context.Context, key string) error {
	if err := st.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("remove digest entry %s: %w", key, err)
	}
	return nil
}

// dueState is when the current window closes, for which spec.
type dueState struct {
	Due  time.Time `json:"due"`
	Spec string    `json:"spec"`
}

// errNoWindow is due's answer when no window is open.
var errNoWindow = errors.New("no digest window")

// due reads the open window and its revision. A window that does not
// decode is returned as a zero dueState with its revision; none at all is
// errNoWindow.
func (st *state) due(ctx context.Context) (dueState, uint64, error) {
	e, err := st.kv.Get(ctx, st.dueKey())
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return dueState{}, 0, errNoWindow
	}
	if err != nil {
		return dueState{}, 0, fmt.Errorf("read window: %w", err)
	}
	var d dueState
	if json.Unmarshal(e.Value(), &d) != nil {
		d = dueState{}
	}
	return d, e.Revision(), nil
}

// openWindow creates the window; it fails when another replica did first.
func (st *state) openWindow(ctx context.Context, d dueState) (uint64, error) {
	b, _ := json.Marshal(d)
	rev, err := st.kv.Create(ctx, st.dueKey(), b)
	if err != nil {
		return 0, fmt.Errorf("start window: %w", err)
	}
	return rev, nil
}

// moveWindow replaces the window at revision rev, a compare-and-set: it
// fails with jetstream.ErrKeyRevisionMismatch when another replica moved it.
func (st *state) moveWindow(ctx context.Context, d dueState, rev uint64) (uint64, error) {
	b, _ := json.Marshal(d)
	rev, err := st.kv.Update(ctx, st.dueKey(), b, rev)
	if err != nil {
		return 0, fmt.Errorf("move window: %w", err)
	}
	return rev, nil
}

// restoreWindow puts a window back unconditionally (after a failed send).
func (st *state) restoreWindow(ctx context.Context, d dueState) error {
	b, _ := json.Marshal(d)
	if _, err := st.kv.Put(ctx, st.dueKey(), b); err != nil {
		return fmt.Errorf("restore window: %w", err)
	}
	return nil
}

// closeWindow deletes the window at revision rev, a compare-and-set: it
// fails with jetstream.ErrKeyRevisionMismatch when another replica moved it.
func (st *state) closeWindow(ctx context.Context, rev uint64) error {
	if err := st.kv.Delete(ctx, st.dueKey(), jetstream.LastRevision(rev)); err != nil {
		return fmt.Errorf("close window: %w", err)
	}
	return nil
}
