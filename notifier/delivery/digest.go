package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
)

// A digest window lives in the state bucket, so a restart mid-window loses
// and repeats nothing:
//
//	digest.<name>.item.<hash(alert id)>  one admitted alert, stored then acked
//	digest.<name>.due                    when the window closes, and its spec
//
// At the due time the runner moves "due" to the next tick with a
// compare-and-set (only one replica wins), waits out quiet hours, sends every
// stored alert in one Notify (or in several, when the channel's size limit
// says they do not fit in one: see sendDigest), writes their delivered marks,
// then deletes them. Alerts already marked delivered (a crash after the
// send) are dropped from the window instead of being sent again.

func digestItemKey(name, alertID string) string {
	return "digest." + name + ".item." + idHash(alertID)
}

func digestItemFilter(name string) string { return "digest." + name + ".item.>" }

func digestDueKey(name string) string { return "digest." + name + ".due" }

// storedAlert is one alert waiting for its digest.
type storedAlert struct {
	Seq     uint64          `json:"seq"` // alerts-stream sequence: digest order
	Subject string          `json:"subject"`
	Alert   json.RawMessage `json:"alert"`
}

// dueState is when the current window closes, for which spec.
type dueState struct {
	Due  time.Time `json:"due"`
	Spec string    `json:"spec"`
}

// store keeps an admitted alert for the next digest.
func (s *session) store(ctx context.Context, msg jetstream.Msg, a alert.Alert) error {
	sa := storedAlert{Subject: msg.Subject(), Alert: msg.Data()}
	if md, err := msg.Metadata(); err == nil {
		sa.Seq = md.Sequence.Stream
	}
	b, err := json.Marshal(sa)
	if err != nil {
		return fmt.Errorf("encode stored alert: %w", err)
	}
	if _, err := s.kv.Put(ctx, digestItemKey(s.o.Name, a.ID), b); err != nil {
		return fmt.Errorf("store alert: %w", err)
	}
	return nil
}

// runDigest sends one digest per window until ctx ends.
func (s *session) runDigest(ctx context.Context) {
	var lastErr string
	for ctx.Err() == nil {
		err := s.digestTick(ctx)
		if err == nil || ctx.Err() != nil {
			lastErr = ""
			continue
		}
		if err.Error() != lastErr {
			s.log.Warn("digest", "err", err)
			lastErr = err.Error()
		}
		sleep(ctx, s.o.BackoffInitial)
	}
}

// digestTick waits for the window's due time and sends it, once.
func (s *session) digestTick(ctx context.Context) error {
	due, rev, err := s.loadDue(ctx)
	if err != nil {
		return err
	}
	if wait := due.Due.Sub(s.o.Now()); wait > 0 {
		sleep(ctx, min(wait, clockPoll))
		return nil // look again: the clock may jump, another replica may move the window
	}
	next := dueState{Due: s.digest.Next(s.o.Now().In(s.o.Location)), Spec: s.o.Digest}
	b, _ := json.Marshal(next)
	if _, err := s.kv.Update(ctx, digestDueKey(s.o.Name), b, rev); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil // another replica claimed this window
		}
		return fmt.Errorf("claim window: %w", err)
	}
	if err := s.sendDigest(ctx); err != nil {
		// Put the window back so that the next run sends it at once.
		sctx, cancel := settleContext(ctx)
		defer cancel()
		b, _ := json.Marshal(due)
		if _, perr := s.kv.Put(sctx, digestDueKey(s.o.Name), b); perr != nil {
			err = errors.Join(err, fmt.Errorf("restore window: %w", perr))
		}
		return err
	}
	return nil
}

// loadDue reads the current window, starting one when there is none or the
// spec changed.
func (s *session) loadDue(ctx context.Context) (dueState, uint64, error) {
	key := digestDueKey(s.o.Name)
	fresh := dueState{Due: s.digest.Next(s.o.Now().In(s.o.Location)), Spec: s.o.Digest}
	b, _ := json.Marshal(fresh)
	e, err := s.kv.Get(ctx, key)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		rev, err := s.kv.Create(ctx, key, b)
		if err != nil {
			return dueState{}, 0, fmt.Errorf("start window: %w", err)
		}
		return fresh, rev, nil
	case err != nil:
		return dueState{}, 0, fmt.Errorf("read window: %w", err)
	}
	var cur dueState
	if json.Unmarshal(e.Value(), &cur) == nil && cur.Spec == s.o.Digest && !cur.Due.IsZero() {
		return cur, e.Revision(), nil
	}
	rev, err := s.kv.Update(ctx, key, b, e.Revision())
	if err != nil {
		return dueState{}, 0, fmt.Errorf("restart window: %w", err)
	}
	return fresh, rev, nil
}

type windowItem struct {
	key    string
	stored storedAlert
	alert  alert.Alert
}

// loadWindow reads the stored alerts in stream order, dropping those
// already delivered and those that cannot be read.
func (s *session) loadWindow(ctx context.Context) ([]windowItem, error) {
	lister, err := s.kv.ListKeysFiltered(ctx, digestItemFilter(s.o.Name))
	if err != nil {
		return nil, fmt.Errorf("list window: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	_ = lister.Stop()
	var items, stale []windowItem
	for _, k := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		e, err := s.kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read window: %w", err)
		}
		it := windowItem{key: k}
		if err := json.Unmarshal(e.Value(), &it.stored); err != nil {
			s.log.Error("unreadable digest entry dropped", "key", k, "err", err)
			stale = append(stale, it)
			continue
		}
		if it.alert, err = alert.Decode(it.stored.Alert); err != nil {
			s.log.Error("undecodable digest entry dropped", "key", k, "err", err)
			stale = append(stale, it)
			continue
		}
		done, err := isDelivered(ctx, s.kv, s.o.Name, it.alert.ID)
		if err != nil {
			return nil, fmt.Errorf("read delivered mark: %w", err)
		}
		if done {
			stale = append(stale, it)
			continue
		}
		items = append(items, it)
	}
	s.forget(ctx, stale)
	slices.SortStableFunc(items, func(a, b windowItem) int { return cmp.Compare(a.stored.Seq, b.stored.Seq) })
	return items, nil
}

// forget removes sent or dead-lettered alerts from the window.
func (s *session) forget(ctx context.Context, items []windowItem) {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	for _, it := range items {
		if err := s.kv.Delete(sctx, it.key); err != nil {
			s.log.Warn("remove digest entry", "key", it.key, "err", err)
		}
	}
}

// flushLeftoverDigest sends, once, what a digest configuration of this
// notifier left stored before it became immediate. Removing the due key with
// a compare-and-set lets only one replica do it.
func (s *session) flushLeftoverDigest(ctx context.Context) error {
	e, err := s.kv.Get(ctx, digestDueKey(s.o.Name))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read window: %w", err)
	}
	if err := s.kv.Delete(ctx, digestDueKey(s.o.Name), jetstream.LastRevision(e.Revision())); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil // another replica is flushing it
		}
		return fmt.Errorf("claim window: %w", err)
	}
	s.log.Info("sending what the former digest left")
	if err := s.sendDigest(ctx); err != nil {
		// Leave the window in place so that a later start tries again.
		sctx, cancel := settleContext(ctx)
		defer cancel()
		if _, perr := s.kv.Put(sctx, digestDueKey(s.o.Name), e.Value()); perr != nil {
			err = errors.Join(err, fmt.Errorf("restore window: %w", perr))
		}
		return err
	}
	return nil
}
