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
	"github.com/qualitywatch/qualitywatch/rhythm"
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
// digests do not apply: replay is an operator's explicit request. Each
// alert is sent as the runner sends one (see sender), tried at most
// replayAttempts times and waiting at most maxReplayWait between tries.
// Its errors do not name the notifier: the caller does.
func ReplayWith(ctx context.Context, js jetstream.JetStream, n notifier.Notifier, o Options, logger *slog.Logger) (sent int, err error) {
	rp, err := newReplayer(ctx, js, n, o, logger)
	if err != nil {
		return 0, err
	}
	subject := bus.DeadLetterSubject(rp.name)
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
	return sent, errors.Join(errs...)
}

// ErrNoDeadLetter is a sequence number that is not one of the notifier's
// dead letters.
var ErrNoDeadLetter = errors.New("no such dead letter")

// ReplayOne sends one dead letter (by its stream sequence) again, as
// ReplayWith sends each: it is removed once the target accepted it (or when
// it was delivered already), kept when the target still refuses it.
func ReplayOne(ctx context.Context, js jetstream.JetStream, n notifier.Notifier, o Options, seq uint64, logger *slog.Logger) error {
	rp, err := newReplayer(ctx, js, n, o, logger)
	if err != nil {
		return err
	}
	m, err := rp.stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) || (err == nil && m.Subject != bus.DeadLetterSubject(rp.name)) {
		return fmt.Errorf("%w: %d", ErrNoDeadLetter, seq)
	}
	if err != nil {
		return fmt.Errorf("read dead letter %d: %w", seq, err)
	}
	_, err = rp.one(ctx, m)
	return err
}

// Marks reads the notifiers' delivered marks, for the status page.
type Marks struct{ kv jetstream.KeyValue }

// OpenMarks binds the state bucket once for many lookups.
func OpenMarks(ctx context.Context, js jetstream.JetStream) (*Marks, error) {
	st, err := openState(ctx, js, "")
	if err != nil {
		return nil, err
	}
	return &Marks{kv: st.kv}, nil
}

// Delivered reports whether the notifier named name delivered the alert.
func (m *Marks) Delivered(ctx context.Context, name, alertID string) (bool, error) {
	return (&state{kv: m.kv, name: name}).delivered(ctx, alertID)
}

func newReplayer(ctx context.Context, js jetstream.JetStream, n notifier.Notifier, o Options, logger *slog.Logger) (*replayer, error) {
	if err := ValidateOptions(o); err != nil {
		return nil, err
	}
	o = withDefaults(o)
	o.QuietHours = rhythm.Window{}
	o.MaxAttempts = replayAttempts
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("notifier", o.Name)
	rp := &replayer{name: o.Name, log: log, now: o.clock.Now, sender: newSender(n, o, log, noMetrics{})}
	rp.sender.maxWait = maxReplayWait
	var err error
	if rp.stream, err = js.Stream(ctx, bus.DeadLetterStream); err != nil {
		return nil, fmt.Errorf("dead-letter stream: %w", err)
	}
	if rp.st, err = openState(ctx, js, o.Name); err != nil {
		return nil, err
	}
	return rp, nil
}

type replayer struct {
	name   string
	log    *slog.Logger
	now    func() time.Time
	sender *sender
	stream jetstream.Stream
	st     *state
}

// one replays one dead letter; it reports whether it was sent.
func (rp *replayer) one(ctx context.Context, m *jetstream.RawStreamMsg) (bool, error) {
	a, err := alert.Decode(m.Data)
	if err != nil {
		return false, fmt.Errorf("dead letter %d: %w", m.Sequence, err)
	}
	log := rp.log.With("alert_id", a.ID, "seq", m.Sequence)
	done, err := rp.st.delivered(ctx, a.ID)
	if err != nil {
		return false, fmt.Errorf("alert %s: %w", a.ID, err)
	}
	if done {
		log.Info("already delivered, removing dead letter")
		return false, rp.remove(ctx, m.Sequence, a.ID)
	}
	res := rp.sender.send(ctx, ctx, []alert.Alert{a}, rp.st)
	switch res.kind {
	case resultInterrupted:
		return false, fmt.Errorf("alert %s: %w", a.ID, context.Cause(ctx))
	case resultUndeliverable:
		log.Warn("replay failed, dead letter kept", "attempts", res.attempts, "err", res.err)
		return false, fmt.Errorf("alert %s: %w", a.ID, res.err)
	}
	sctx, cancel := settleContext(ctx)
	defer cancel()
	if err := rp.st.markDelivered(sctx, a.ID, rp.now()); err != nil {
		log.Warn("delivered mark not written", "err", err)
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
