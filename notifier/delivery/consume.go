package delivery

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
)

// consume pulls alerts until ctx is cancelled. A deleted consumer is
// created again (from DeliverNew, as a new notifier would be); any other
// pull failure is logged once and retried, except a closed connection,
// which ends Run.
func (s *session) consume(ctx context.Context, cons jetstream.Consumer) error {
	for {
		err := s.pull(ctx, cons)
		if ctx.Err() != nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrConsumerDeleted) && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return err
		}
		s.log.Warn("consumer gone, creating it again", "err", err)
		if _, ok := sleep(ctx, time.Second); !ok {
			return nil
		}
		if cons, err = s.ensureConsumer(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// pollWait bounds each pull request. Pulls are never abandoned: Run waits
// for the current one to end (at most pollWait) before it returns, so the
// server never hands an alert to a pull nobody listens to any more (that
// alert would sit unacked until AckWait ran out, holding up the consumer).
const pollWait = time.Second

func (s *session) pull(ctx context.Context, cons jetstream.Consumer) error {
	batch := 1
	if s.digest != nil {
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
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, jetstream.ErrConnectionClosed):
			return fmt.Errorf("consume: %w", err)
		default: // a server restarting, a leader election: try again
			if err.Error() != lastErr {
				s.log.Warn("pull", "err", err)
				lastErr = err.Error()
			}
			sleep(ctx, 200*time.Millisecond)
		}
	}
	return nil
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

// handle processes one message while heartbeating it, then settles it.
func (s *session) handle(ctx context.Context, msg jetstream.Msg) {
	stop := heartbeat(msg, s.o.AckWait/3)
	st := s.process(ctx, msg)
	stop()
	s.settle(ctx, msg, st)
}

func (s *session) process(ctx context.Context, msg jetstream.Msg) settlement {
	a, err := alert.Decode(msg.Data())
	if err != nil {
		return s.bury(ctx, msg, fallbackID(msg), err, 0)
	}
	log := s.log.With("alert_id", a.ID)
	if !s.o.Match.Admits(a) || s.o.Exclude.Hits(a) {
		s.m.Filtered(s.o.Name)
		log.Debug("filtered")
		return ack()
	}
	done, err := isDelivered(ctx, s.kv, s.o.Name, a.ID)
	if err != nil {
		if ctx.Err() == nil {
			log.Warn("read delivered mark", "err", err)
		}
		return nak(s.o.BackoffInitial)
	}
	if done {
		log.Debug("already delivered")
		return ack()
	}
	if s.digest != nil {
		if err := s.store(ctx, msg, a); err != nil {
			if ctx.Err() == nil {
				log.Warn("store alert for digest", "err", err)
			}
			return nak(s.o.BackoffInitial)
		}
		return ack()
	}
	res := s.deliver(ctx, []alert.Alert{a})
	switch res.kind {
	case resultDelivered:
		s.markDelivered(ctx, a)
		s.m.Delivered(s.o.Name, 1)
		log.Debug("delivered", "attempts", res.attempts)
		return ack()
	case resultUndeliverable:
		return s.bury(ctx, msg, a.ID, res.err, res.attempts)
	default:
		return nak(res.retryIn)
	}
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
