package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
)

// consume pulls alerts until ctx is cancelled. A consumer that disappears
// (deleted by an operator, lost with a server's state) is created again
// where this runner left it (see position), so the alerts published
// meanwhile are delivered too; any other pull failure is logged once and
// retried. Only a closed connection ends Run.
func (s *session) consume(ctx context.Context, cons jetstream.Consumer) error {
	for {
		err := s.pull(ctx, cons)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, errConsumerGone) {
			return err
		}
		from := s.pos.resume()
		s.log.Warn("consumer gone, creating it again", "err", err, "from_seq", from)
		if cons, err = s.recreate(ctx, from); cons == nil {
			return err
		}
	}
}

// errConsumerGone says that the runner's durable consumer no longer exists.
var errConsumerGone = errors.New("consumer gone")

// recreate creates the consumer again at stream sequence from, retrying
// with backoff while the server cannot (a restart, an election). It returns
// nil and no error when ctx ends first, and an error only when the
// connection is closed.
func (s *session) recreate(ctx context.Context, from uint64) (jetstream.Consumer, error) {
	var lastErr string
	for delay := pullRetry; ; delay = min(2*delay, maxRecreateWait) {
		cons, err := s.ensureConsumer(ctx, from)
		switch {
		case err == nil:
			s.pos.start(cons)
			return cons, nil
		case ctx.Err() != nil:
			return nil, nil
		case connClosed(err):
			return nil, err
		case err.Error() != lastErr:
			s.log.Warn("consumer not created, will retry", "retry_in", delay, "err", err)
			lastErr = err.Error()
		}
		if _, ok := sleep(ctx, delay); !ok {
			return nil, nil
		}
	}
}

// Waits on the server: between failed pulls, and at most between attempts
// to create a vanished consumer again.
const (
	pullRetry       = 200 * time.Millisecond
	maxRecreateWait = 10 * time.Second
)

func connClosed(err error) bool {
	return errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, jetstream.ErrConnectionClosed)
}

// pollWait bounds each pull request. Pulls are never abandoned: Run waits
// for the current one to end (at most pollWait) before it returns, so the
// server never hands an alert to a pull nobody listens to any more (that
// alert would sit unacked until AckWait ran out, holding up the consumer).
const pollWait = time.Second

// pull fetches and handles alerts until ctx ends or the consumer is gone.
// A pull that fails otherwise is retried, logged when its error changes.
func (s *session) pull(ctx context.Context, cons jetstream.Consumer) error {
	batch := 1
	if s.digest() {
		batch = 64
	}
	var lastErr string
	for ctx.Err() == nil {
		msgs, err := cons.Fetch(batch, jetstream.FetchMaxWait(pollWait))
		if err == nil {
			for msg := range msgs.Messages() {
				if ctx.Err() != nil {
					_ = msg.NakWithDelay(minNakDelay) // shutting down: let someone else have it
					continue
				}
				s.handle(ctx, msg)
			}
			err = msgs.Error()
		}
		switch {
		case err == nil, errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
			lastErr = ""
			continue
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("%w: %w", errConsumerGone, err)
		case connClosed(err):
			return fmt.Errorf("consume: %w", err)
		}
		// A pull to a consumer deleted while no request was pending gets
		// no answer at all (no responders), as does one sent while the
		// server restarts or elects a leader. Ask the server which it is,
		// or the runner would retry a vanished consumer for ever.
		if s.gone(ctx, cons) {
			return fmt.Errorf("%w: %w", errConsumerGone, err)
		}
		if err.Error() != lastErr {
			s.log.Warn("pull", "err", err)
			lastErr = err.Error()
		}
		sleep(ctx, pullRetry)
	}
	return nil
}

// decode reads an alert, or a health event as the alert that carries it.
func (s *session) decode(msg jetstream.Msg) (alert.Alert, error) {
	if !s.o.Health {
		return alert.Decode(msg.Data())
	}
	h, err := alert.DecodeHealth(msg.Data())
	if err != nil {
		return alert.Alert{}, err
	}
	at := time.Now()
	if md, err := msg.Metadata(); err == nil {
		at = md.Timestamp
	}
	return alert.FromHealth(h, at), nil
}

// gone reports whether the server says the consumer does not exist.
func (s *session) gone(ctx context.Context, cons jetstream.Consumer) bool {
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := cons.Info(ictx)
	return errors.Is(err, jetstream.ErrConsumerNotFound)
}

// minNakDelay is the shortest nak delay used. A nak with a delay moves the
// message's redelivery time on the server and survives a server restart; a
// plain Nak only queues it in memory, so after a restart (the embedded
// server restarts with the daemon) the alert would wait a whole AckWait,
// holding up every alert behind it.
const minNakDelay = time.Millisecond

// settlement is what becomes of a message once the runner is done with it.
type settlement struct {
	kind   settleKind
	delay  time.Duration // nak: redeliver after this
	reason string        // term
}

type settleKind int

const (
	settleAck settleKind = iota
	settleNak
	settleTerm
)

func ack() settlement                { return settlement{kind: settleAck} }
func nak(d time.Duration) settlement { return settlement{kind: settleNak, delay: d} }
func term(reason string) settlement  { return settlement{kind: settleTerm, reason: reason} }

// handle processes one message while heartbeating it, then settles it and
// moves the position.
func (s *session) handle(ctx context.Context, msg jetstream.Msg) {
	stop := heartbeat(msg, heartbeatPeriod(s.o.AckWait))
	st := s.process(ctx, msg)
	stop()
	s.settle(ctx, msg, st)
	if md, err := msg.Metadata(); err == nil {
		s.pos.settled(md.Sequence.Stream, st.kind != settleNak)
	}
}

func (s *session) process(ctx context.Context, msg jetstream.Msg) settlement {
	a, err := s.decode(msg)
	if err != nil {
		return s.bury(ctx, msg, fallbackID(msg), err, 0)
	}
	log := s.log.With("alert_id", a.ID)
	if !s.o.Match.Admits(a) || s.o.Exclude.Hits(a) {
		s.m.Filtered(s.o.Name)
		log.Debug("filtered")
		return ack()
	}
	// One read says whether it was delivered and whether a send of it was
	// interrupted; an intent under the key stores used to keep intents in
	// is looked for only when the message comes again.
	redelivered := false
	if md, err := msg.Metadata(); err == nil {
		redelivered = md.NumDelivered > 1
	}
	rec, err := s.st.lookup(ctx, a.ID, redelivered)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("delivered mark not read", "err", err)
		}
		return nak(s.o.BackoffInitial)
	}
	if rec.delivered {
		log.Debug("already delivered")
		return ack()
	}
	if s.digest() {
		if err := s.store(ctx, msg, a); err != nil {
			if ctx.Err() == nil {
				log.Warn("store alert for digest", "err", err)
			}
			return nak(s.o.BackoffInitial)
		}
		return ack()
	}
	if rec.sending {
		warnResent(log, rec.intent)
	}
	res := s.sender.send(ctx, s.sendCtx, []alert.Alert{a}, s.st)
	switch res.kind {
	case resultDelivered:
		s.markDelivered(ctx, a)
		s.m.Delivered(s.o.Name, 1)
		log.Debug("delivered", "attempts", res.attempts)
		return ack()
	case resultUndeliverable:
		return s.bury(ctx, msg, a.ID, res.err, res.attempts)
	default:
		if res.err != nil && ctx.Err() == nil {
			log.Warn("not sent, will retry", "retry_in", res.retryIn, "err", res.err)
		}
		return nak(res.retryIn)
	}
}

// warnResent says that an alert is about to be sent again after a send
// that was interrupted (see state): the process died while the target was
// answering, and the target may get it twice.
func warnResent(log *slog.Logger, in intent) {
	log.Warn("sending again after an interrupted send: the target may get it twice",
		"interrupted_at", in.At, "attempt", in.Attempt)
}

// settle acks, naks or terminates msg, even when ctx is already cancelled.
func (s *session) settle(ctx context.Context, msg jetstream.Msg, st settlement) {
	var err error
	switch st.kind {
	case settleAck:
		sctx, cancel := settleContext(ctx)
		err = msg.DoubleAck(sctx)
		cancel()
	case settleNak:
		err = msg.NakWithDelay(max(st.delay, minNakDelay))
	case settleTerm:
		err = msg.TermWithReason(st.reason)
	}
	if err != nil {
		s.log.Warn("settle message", "subject", msg.Subject(), "err", err)
	}
}

// fallbackID names a message whose body is not an alert.
func fallbackID(msg jetstream.Msg) string {
	if id := msg.Headers().Get("Nats-Msg-Id"); id != "" {
		return id
	}
	if md, err := msg.Metadata(); err == nil {
		return "seq-" + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	return "unknown"
}
