package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

// Runner delivers the alerts one notifier admits. Build it with New, start
// it with Run. Its errors do not name the notifier: the caller does.
type Runner struct {
	js     jetstream.JetStream
	n      notifier.Notifier
	o      Options
	in     reading
	log    *slog.Logger
	m      Metrics
	sender *sender
}

// New checks o (see ValidateOptions) and returns a Runner that delivers to
// n. A nil logger logs nothing; a nil m counts nothing.
func New(js jetstream.JetStream, n notifier.Notifier, o Options, logger *slog.Logger, m Metrics) (*Runner, error) {
	if js == nil || n == nil {
		return nil, errors.New("jetstream and notifier are required")
	}
	if err := ValidateOptions(o); err != nil {
		return nil, err
	}
	o = withDefaults(o)
	if o.Health {
		o.Match, o.Exclude, o.Digest = Filter{}, Filter{}, rhythm.Schedule{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = noMetrics{}
	}
	log := logger.With("notifier", o.Name)
	return &Runner{js: js, n: n, o: o, in: readingOf(o), log: log, m: m, sender: newSender(n, o, log, m)}, nil
}

// reading is what a runner reads: the alerts stream, or its notifier's
// health events or repost follow-ups. It is derived once from the options.
type reading struct {
	stream, subjects, consumer string
	// alerts: only a runner of alerts owns the notifier's digest window
	// (runners of health events and follow-ups share its name and state).
	alerts bool
}

func readingOf(o Options) reading {
	switch {
	case o.Health:
		return reading{bus.HealthStream, bus.HealthPrefix + ".>", HealthConsumerName(o.Name), false}
	case o.Reposts:
		return reading{bus.RepostsStream, bus.RepostsPrefix + ".>", RepostsConsumerName(o.Name), false}
	}
	return reading{bus.AlertsStream, bus.AlertsPrefix + ".>", ConsumerName(o.Name), true}
}

// digest reports whether the runner sends digests rather than each alert.
func (r *Runner) digest() bool { return !r.o.Digest.IsZero() && r.in.alerts }

func (r *Runner) stream() string       { return r.in.stream }
func (r *Runner) subjects() string     { return r.in.subjects }
func (r *Runner) consumerName() string { return r.in.consumer }

// consumerConfig is the durable consumer this runner wants, reading from
// the stream sequence from (0: alerts published from now on). Immediate
// notifiers take one alert at a time (MaxAckPending 1) so delivery keeps
// stream order even across replicas; digest notifiers only store and ack,
// so they may take many.
func (r *Runner) consumerConfig(from uint64) jetstream.ConsumerConfig {
	maxAckPending := 1
	if r.digest() {
		maxAckPending = 256
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       r.consumerName(),
		Description:   "qualitywatch notifier " + r.o.Name,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.o.AckWait,
		MaxDeliver:    -1, // the runner dead-letters; the server must never drop
		MaxAckPending: maxAckPending,
		FilterSubject: r.subjects(),
	}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from
	}
	return cfg
}

// EnsureConsumer creates the notifier's durable consumer, or updates the
// settings the runner owns on an existing one. A new consumer starts at
// DeliverNew: the notifier gets alerts published from now on. An existing
// one keeps its position. Run calls it; the daemon may call it before it
// starts publishing so that a brand-new notifier misses nothing.
func (r *Runner) EnsureConsumer(ctx context.Context) error {
	_, err := r.ensureConsumer(ctx, 0)
	return err
}

// ensureConsumer is EnsureConsumer creating a missing consumer at stream
// sequence from (0: DeliverNew).
func (r *Runner) ensureConsumer(ctx context.Context, from uint64) (jetstream.Consumer, error) {
	want := r.consumerConfig(from)
	c, err := r.js.Consumer(ctx, r.stream(), want.Durable)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		if c, err = r.createConsumer(ctx, want); err != nil {
			return nil, err
		}
		if from > 0 {
			r.log.Info("consumer created", "consumer", want.Durable, "deliver", "from", "seq", from)
		} else {
			r.log.Info("consumer created", "consumer", want.Durable, "deliver", "new")
		}
		return c, nil
	case err != nil:
		return nil, fmt.Errorf("look up consumer %s: %w", want.Durable, err)
	}
	cfg := c.CachedInfo().Config
	if cfg.AckWait == want.AckWait && cfg.MaxDeliver == want.MaxDeliver &&
		cfg.MaxAckPending == want.MaxAckPending && cfg.FilterSubject == want.FilterSubject &&
		len(cfg.FilterSubjects) == 0 && len(cfg.BackOff) == 0 {
		return c, nil
	}
	cfg.Description = want.Description
	cfg.AckWait = want.AckWait
	cfg.MaxDeliver = want.MaxDeliver
	cfg.MaxAckPending = want.MaxAckPending
	cfg.FilterSubject, cfg.FilterSubjects = want.FilterSubject, nil
	cfg.BackOff = nil
	c, err = r.js.UpdateConsumer(ctx, r.stream(), cfg)
	if err != nil {
		return nil, fmt.Errorf("update consumer %s: %w", want.Durable, err)
	}
	return c, nil
}

// createConsumer creates the durable consumer want describes. A durable
// created right after one of the same name was deleted can come up with the
// deleted one's state, which the server removes from its store only
// afterwards: an alert shown as delivered and awaiting an ack that will
// never come, which (with MaxAckPending 1) holds every later alert until
// AckWait runs out. A consumer just created has delivered nothing; one that
// says otherwise is deleted and created again, a few times.
func (r *Runner) createConsumer(ctx context.Context, want jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	for try, wait := 1, pullRetry; ; try, wait = try+1, 2*wait {
		c, err := r.js.CreateConsumer(ctx, r.stream(), want)
		if err != nil {
			return nil, fmt.Errorf("create consumer %s: %w", want.Durable, err)
		}
		info := c.CachedInfo()
		if info == nil || (info.Delivered.Consumer == 0 && info.NumAckPending == 0) {
			return c, nil
		}
		if try == staleTries {
			return nil, fmt.Errorf("create consumer %s: it keeps the state of a deleted one (delivered up to %d, %d awaiting ack)",
				want.Durable, info.Delivered.Stream, info.NumAckPending)
		}
		r.log.Warn("consumer created with a deleted one's state, creating it again",
			"consumer", want.Durable, "delivered_seq", info.Delivered.Stream, "ack_pending", info.NumAckPending)
		if err := r.js.DeleteConsumer(ctx, r.stream(), want.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, fmt.Errorf("delete stale consumer %s: %w", want.Durable, err)
		}
		if _, ok := sleep(ctx, wait); !ok {
			return nil, ctx.Err()
		}
	}
}

// staleTries bounds createConsumer's attempts.
const staleTries = 5

// Run delivers until ctx is cancelled, then stops pulling, lets an in-flight
// Notify finish within ShutdownGrace, naks what it still holds and returns
// nil. It returns an error when it cannot start or the connection closes.
func (r *Runner) Run(ctx context.Context) error {
	st, err := openState(ctx, r.js, r.o.Name)
	if err != nil {
		return err
	}
	cons, err := r.ensureConsumer(ctx, 0)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	// Sends outlive runCtx by ShutdownGrace so that a request the target is
	// processing is not cut off the moment shutdown begins.
	sendCtx, cancelSend := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSend()
	go func() {
		select {
		case <-runCtx.Done():
			t := time.NewTimer(ShutdownGrace)
			defer t.Stop()
			select {
			case <-t.C:
				cancelSend()
			case <-sendCtx.Done():
			}
		case <-sendCtx.Done():
		}
	}()

	s := &session{Runner: r, st: st, sendCtx: sendCtx}
	s.pos.start(cons)
	r.log.Info("delivering", "consumer", r.consumerName(), "digest", r.o.Digest.String(),
		"quiet_hours", r.o.QuietHours.String(), "rate", r.o.Rate.String())
	var wg sync.WaitGroup
	if r.digest() {
		wg.Go(func() { s.runDigest(runCtx) })
	} else if r.in.alerts {
		// A digest notifier made immediate leaves a window to send; the
		// window is never another runner's to send.
		if err := s.flushLeftoverDigest(runCtx); err != nil {
			r.log.Warn("leftover digest not sent", "err", err)
		}
	}
	err = s.consume(runCtx, cons)
	stop()
	wg.Wait()
	r.log.Info("stopped")
	return err
}

// session is one Run: the runner plus what it opened.
type session struct {
	*Runner
	st      *state
	sendCtx context.Context // Notify's context: cancelled ShutdownGrace after Run's
	pos     position        // touched by the consuming goroutine only
}

// markDelivered writes the marks of alerts just accepted by the target. A
// failure is logged, not returned: the alert was delivered, and the ack
// that follows still prevents a redelivery.
func (s *session) markDelivered(ctx context.Context, alerts ...alert.Alert) {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	now := s.o.clock.Now()
	for _, a := range alerts {
		if err := s.st.markDelivered(sctx, a.ID, now); err != nil {
			s.log.Warn("write delivered mark", "alert_id", a.ID, "err", err)
		}
	}
}

// settleContext is for what must still happen during shutdown (ack, mark,
// dead-letter): not cancelled with ctx, but bounded.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}
