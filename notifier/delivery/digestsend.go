package delivery

import (
	"context"
	"fmt"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// sendDigest sends every stored alert: as one message, or, when the notifier
// is a notifier.Fitter and they do not fit in one, as consecutive messages of
// as many as fit, in stream order, so that no alert is ever left out of what
// the target shows. Each part is retried on its own; once the target accepted
// it, its alerts are marked delivered and removed from the window before the
// next part is sent, so a retry, a restart or a dead letter never repeats an
// alert that went out. When a part is undeliverable, it and the parts not yet
// sent are dead-lettered. sendDigest returns an error only when alerts are
// still stored (interrupted, or the bucket failed).
func (s *session) sendDigest(ctx context.Context) error {
	if _, ok := s.sender.waitQuiet(ctx); !ok {
		return ctx.Err()
	}
	items, err := s.loadWindow(ctx)
	if err != nil || len(items) == 0 {
		return err
	}
	total, parts := len(items), 0
	for len(items) > 0 {
		part := items[:s.fit(items)]
		parts++
		alerts := make([]alert.Alert, len(part))
		for i, it := range part {
			alerts[i] = it.alert
		}
		res := s.sender.send(ctx, s.sendCtx, alerts, s.st)
		switch res.kind {
		case resultInterrupted:
			cause := res.err
			if cause == nil {
				cause = context.Canceled
			}
			return fmt.Errorf("digest interrupted with %d of %d alerts unsent: %w", len(items), total, cause)
		case resultDelivered:
			s.markDelivered(ctx, alerts...)
			s.m.Delivered(s.o.Name, len(alerts))
			s.log.Info("digest sent", "alerts", len(alerts), "part", parts, "unsent", len(items)-len(part), "attempts", res.attempts)
			s.forget(ctx, part)
			items = items[len(part):]
			continue
		}
		s.buryWindow(ctx, part, items[len(part):], res)
		return nil
	}
	return nil
}

// fit is how many of items, from the first, go in the next message: all of
// them unless the notifier is a notifier.Fitter, else what it reports,
// bounded to [1, len(items)].
func (s *session) fit(items []windowItem) int {
	f, ok := s.n.(notifier.Fitter)
	if !ok || len(items) <= 1 {
		return len(items)
	}
	alerts := make([]alert.Alert, len(items))
	for i, it := range items {
		alerts[i] = it.alert
	}
	return min(max(f.Fit(alerts...), 1), len(items))
}

// buryWindow dead-letters the undeliverable part of a digest and the parts
// that were not tried after it, and removes them from the window. An alert
// whose dead letter cannot be stored stays for the next window.
func (s *session) buryWindow(ctx context.Context, failed, untried []windowItem, res result) {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	var buried []windowItem
	bury := func(items []windowItem, cause error, attempts int) {
		for _, it := range items {
			if err := deadLetter(sctx, s.js, s.o.Name, it.stored.Alert, it.stored.Subject, it.alert.ID, cause, attempts); err != nil {
				s.log.Error("dead letter not stored, kept for the next window", "alert_id", it.alert.ID, "err", err)
				continue
			}
			s.m.DeadLettered(s.o.Name)
			buried = append(buried, it)
		}
	}
	bury(failed, res.err, res.attempts)
	bury(untried, fmt.Errorf("not sent: an earlier part of the digest failed: %w", res.err), 0)
	s.log.Error("digest dead-lettered", "alerts", len(buried), "attempts", res.attempts, "err", res.err)
	s.forget(ctx, buried)
}
