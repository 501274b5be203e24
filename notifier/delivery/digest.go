package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
)

// A digest window lives in the state bucket (see state), so a restart
// mid-window loses and repeats nothing. At the due time the runner moves the
// window to the next tick with a compare-and-set (only one replica wins),
// waits out quiet hours, sends every stored alert in one Notify (or in
// several, when the channel's size limit says they do not fit in one: see
// sendDigest), writes their delivered marks, then deletes them. Alerts
// already marked delivered (a crash after the send) are dropped from the
// window instead of being sent again; those whose send was interrupted (a
// crash while the target answered) are sent again with a warning (see
// state).

// store keeps an admitted alert for the next digest.
func (s *session) store(ctx context.Context, msg jetstream.Msg, a alert.Alert) error {
	sa := storedAlert{Subject: msg.Subject(), Alert: msg.Data()}
	if md, err := msg.Metadata(); err == nil {
		sa.Seq = md.Sequence.Stream
	}
	return s.st.hold(ctx, a.ID, sa)
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

// nextWindow is the window that starts now.
func (s *session) nextWindow() dueState {
	return dueState{Due: s.o.Digest.Next(s.o.clock.Now()), Spec: s.o.Digest.String()}
}

// digestTick waits for the window's due time and sends it, once.
func (s *session) digestTick(ctx context.Context) error {
	due, rev, err := s.loadDue(ctx)
	if err != nil {
		return err
	}
	if wait := due.Due.Sub(s.o.clock.Now()); wait > 0 {
		s.o.clock.Sleep(ctx, min(wait, clockPoll))
		return nil // look again: the clock may jump, another replica may move the window
	}
	if _, err := s.st.moveWindow(ctx, s.nextWindow(), rev); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil // another replica claimed this window
		}
		return err
	}
	if err := s.sendDigest(ctx); err != nil {
		// Put the window back so that the next run sends it at once.
		sctx, cancel := settleContext(ctx)
		defer cancel()
		return errors.Join(err, s.st.restoreWindow(sctx, due))
	}
	return nil
}

// loadDue reads the current window, starting one when there is none or the
// spec changed.
func (s *session) loadDue(ctx context.Context) (dueState, uint64, error) {
	cur, rev, err := s.st.due(ctx)
	fresh := s.nextWindow()
	switch {
	case errors.Is(err, errNoWindow):
		rev, err := s.st.openWindow(ctx, fresh)
		if err != nil {
			return dueState{}, 0, err
		}
		return fresh, rev, nil
	case err != nil:
		return dueState{}, 0, err
	case cur.Spec == fresh.Spec && !cur.Due.IsZero():
		return cur, rev, nil
	}
	if rev, err = s.st.moveWindow(ctx, fresh, rev); err != nil {
		return dueState{}, 0, err
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
	entries, err := s.st.held(ctx)
	if err != nil {
		return nil, err
	}
	var items, stale []windowItem
	for _, e := range entries {
		it := windowItem{key: e.key}
		if err := json.Unmarshal(e.value, &it.stored); err != nil {
			s.log.Error("unreadable digest entry dropped", "key", e.key, "err", err)
			stale = append(stale, it)
			continue
		}
		if it.alert, err = alert.Decode(it.stored.Alert); err != nil {
			s.log.Error("undecodable digest entry dropped", "key", e.key, "err", err)
			stale = append(stale, it)
			continue
		}
		rec, err := s.st.lookup(ctx, it.alert.ID, true)
		if err != nil {
			return nil, err
		}
		if rec.delivered {
			stale = append(stale, it)
			continue
		}
		if rec.sending {
			warnResent(s.log.With("alert_id", it.alert.ID), rec.intent)
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
		if err := s.st.release(sctx, it.key); err != nil {
			s.log.Warn("remove digest entry", "err", err)
		}
	}
}

// flushLeftoverDigest sends, once, what a digest configuration of this
// notifier left stored before it became immediate. Removing the window with
// a compare-and-set lets only one replica do it.
func (s *session) flushLeftoverDigest(ctx context.Context) error {
	due, rev, err := s.st.due(ctx)
	if errors.Is(err, errNoWindow) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.st.closeWindow(ctx, rev); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil // another replica is flushing it
		}
		return err
	}
	s.log.Info("sending what the former digest left")
	if err := s.sendDigest(ctx); err != nil {
		// Leave the window in place so that a later start tries again.
		sctx, cancel := settleContext(ctx)
		defer cancel()
		return errors.Join(err, s.st.restoreWindow(sctx, due))
	}
	return nil
}
