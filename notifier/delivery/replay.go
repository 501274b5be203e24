package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// Replay tries each transient failure this many times, waiting at most
// maxReplayWait between tries; what still fails stays dead-lettered.
const (
	replayAttempts = 3
	maxReplayWait  = time.Minute
)

// Replay sends every dead letter of the notifier named name again, one
// message per alert, oldest first. Each one the target accepts gets its
// delivered mark and is deleted from the dead-letter stream; one already
// marked delivered (a replay interrupted before the delete) is deleted
// without sending. Failures stay in the stream and are returned joined.
func Replay(ctx context.Context, js jetstream.JetStream, n notifier.Notifier, name string, logger *slog.Logger) (sent int, err error) {
	return ReplayWith(ctx, js, n, Options{Name: name}, logger)
}

// ReplayWith is Replay honouring o.Rate and o's backoff bounds; the
// notifier's configured options can be passed as they are. Quiet hours and
// digests do not apply: replay is an operator's explicit request.
func ReplayWith(ctx context.Context, js jetstream.JetStream, n notifier.Notifier, o Options, logger *slog.Logger) (sent int, err error) {
	if err := ValidateOptions(o); err != nil {
		return 0, fmt.Errorf("replay %s: %w", o.Name, err)
	}
	o = withDefaults(o)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rp := &replayer{n: n, o: o, log: logger.With("notifier", o.Name)}
	if o.Rate != "" {
		rp.limit, _ = parseRate(o.Rate)
	}
	if rp.stream, err = js.Stream(ctx, bus.DeadLetterStream); err != nil {
		return 0, fmt.Errorf("replay %s: %w", o.Name, err)
	}
	if rp.kv, err = js.KeyValue(ctx, bus.StateBucket); err != nil {
		return 0, fmt.Errorf("replay %s: state bucket: %w", o.Name, err)
	}
	subject := bus.DeadLetterSubject(o.Name)
	var errs []error
	for seq := uint64(1); ; {
		m, err := rp.stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("read dead letter after %d: %w", seq, err))
			break
		}
		seq = m.Sequence + 1
		ok, err := rp.one(ctx, m)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			sent++
		}
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
	}
	rp.log.Info("replay done", "sent", sent, "failed", len(errs))
	if err := errors.Join(errs...); err != nil {
		return sent, fmt.Errorf("replay %s: %w", o.Name, err)
	}
	return sent, nil
}

type replayer struct {
	n      notifier.Notifier
	o      Options
	log    *slog.Logger
	limit  *limiter
	stream jetstream.Stream
	kv     jetstream.KeyValue
}

// one replays one dead letter; it reports whether it was sent.
func (rp *replayer) one(ctx context.Context, m *jetstream.RawStreamMsg) (bool, error) {
	a, err := alert.Decode(m.Data)
	if err != nil {
		return false, fmt.Errorf("dead letter %d: %w", m.Sequence, err)
	}
	log := rp.log.With("alert_id", a.ID, "seq", m.Sequence)
	done, err := isDelivered(ctx, rp.kv, rp.o.Name, a.ID)
	if err != nil {
		return false, fmt.Errorf("alert %s: read delivered mark: %w", a.ID, err)
	}
	if done {
		log.Info("already delivered, removing dead letter")
		return false, rp.remove(ctx, m.Sequence, a.ID)
	}
	for attempt := 1; ; attempt++ {
		for rp.limit != nil {
			d := rp.limit.reserve(rp.o.Now())
			if d <= 0 {
				break
			}
			if _, ok := sleep(ctx, d); !ok {
				return false, ctx.Err()
			}
		}
		err = rp.n.Notify(ctx, a)
		if err == nil {
			break
		}
		if notifier.IsPermanent(err) || attempt >= replayAttempts || ctx.Err() != nil {
			log.Warn("replay failed, dead letter kept", "attempts", attempt, "err", err)
			return false, fmt.Errorf("alert %s: %w", a.ID, err)
		}
		if _, ok := sleep(ctx, min(backoff(rp.o.BackoffInitial, rp.o.BackoffMax, attempt, err), maxReplayWait)); !ok {
			return false, fmt.Errorf("alert %s: %w", a.ID, err)
		}
	}
	sctx, cancel := settleContext(ctx)
	defer cancel()
	if err := putMark(sctx, rp.kv, rp.o.Name, a.ID, rp.o.Now()); err != nil {
		log.Warn("write delivered mark", "err", err)
	}
	log.Info("replayed")
	return true, rp.remove(sctx, m.Sequence, a.ID)
}

func (rp *replayer) remove(ctx context.Context, seq uint64, id string) error {
	if err := rp.stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("alert %s: delete dead letter %d: %w", id, seq, err)
	}
	return nil
}
