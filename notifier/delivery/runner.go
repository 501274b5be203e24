package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// Runner delivers the alerts one notifier admits. Build it with New, start
// it with Run.
type Runner struct {
	js     jetstream.JetStream
	n      notifier.Notifier
	o      Options
	log    *slog.Logger
	m      Metrics
	quiet  *quietHours   // nil: no quiet hours
	limit  *limiter      // nil: unlimited
	digest cron.Schedule // nil: immediate delivery
}

// New checks o (see ValidateOptions) and returns a Runner that delivers to
// n. A nil logger logs nothing; a nil m counts nothing.
func New(js jetstream.JetStream, n notifier.Notifier, o Options, logger *slog.Logger, m Metrics) (*Runner, error) {
	if js == nil || n == nil {
		return nil, fmt.Errorf("notifier %s: jetstream and notifier are required", o.Name)
	}
	if err := ValidateOptions(o); err != nil {
		return nil, fmt.Errorf("notifier %s: %w", o.Name, err)
	}
	o = withDefaults(o)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = noMetrics{}
	}
	r := &Runner{js: js, n: n, o: o, log: logger.With("notifier", o.Name), m: m}
	var err error
	if o.QuietHours != "" {
		if r.quiet, err = parseQuietHours(o.QuietHours, o.Location); err != nil {
			return nil, fmt.Errorf("notifier %s: quiet_hours: %w", o.Name, err)
		}
	}
	if o.Rate != "" {
		if r.limit, err = parseRate(o.Rate); err != nil {
			return nil, fmt.Errorf("notifier %s: rate: %w", o.Name, err)
		}
	}
	if o.Digest != "" {
		if r.digest, err = parseDigest(o.Digest, o.Location, o.Now()); err != nil {
			return nil, fmt.Errorf("notifier %s: digest: %w", o.Name, err)
		}
	}
	return r, nil
}

// ConsumerName is the durable consumer of the notifier named name.
func ConsumerName(name string) string { return "notify-" + name }

// consumerConfig is the durable consumer this runner wants. Immediate
// notifiers take one alert at a time (MaxAckPending 1) so delivery keeps
// stream order even across replicas; digest notifiers only store and ack,
// so they may take many.
func (r *Runner) consumerConfig() jetstream.ConsumerConfig {
	maxAckPending := 1
	if r.digest != nil {
		maxAckPending = 256
	}
	return jetstream.ConsumerConfig{
		Durable:       ConsumerName(r.o.Name),
		Description:   "qualitywatch notifier " + r.o.Name,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.o.AckWait,
		MaxDeliver:    -1, // the runner dead-letters; the server must never drop
		MaxAckPending: maxAckPending,
		FilterSubject: bus.AlertsPrefix + ".>",
	}
}

// EnsureConsumer creates the notifier's durable consumer, or updates the
// settings the runner owns on an existing one. A new consumer starts at
// DeliverNew: the notifier gets alerts published from now on. An existing
// one keeps its position. Run calls it; the daemon may call it before it
// starts publishing so that a brand-new notifier misses nothing.
func (r *Runner) EnsureConsumer(ctx context.Context) error {
	_, err := r.ensureConsumer(ctx)
	return err
}

func (r *Runner) ensureConsumer(ctx context.Context) (jetstream.Consumer, error) {
	want := r.consumerConfig()
	c, err := r.js.Consumer(ctx, bus.AlertsStream, want.Durable)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		c, err = r.js.CreateConsumer(ctx, bus.AlertsStream, want)
		if err != nil {
			return nil, fmt.Errorf("create consumer %s: %w", want.Durable, err)
		}
		r.log.Info("consumer created", "consumer", want.Durable, "deliver", "new")
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
	c, err = r.js.UpdateConsumer(ctx, bus.AlertsStream, cfg)
	if err != nil {
		return nil, fmt.Errorf("update consumer %s: %w", want.Durable, err)
	}
	return c, nil
}

// Run delivers until ctx is cancelled, then stops pulling, lets an in-flight
// Notify finish within ShutdownGrace, naks what it still holds and returns
// nil. It returns an error when it cannot start or the connection closes.
func (r *Runner) Run(ctx context.Context) error {
	kv, err := r.js.KeyValue(ctx, bus.StateBucket)
	if err != nil {
		return fmt.Errorf("notifier %s: state bucket: %w", r.o.Name, err)
	}
	cons, err := r.ensureConsumer(ctx)
	if err != nil {
		return fmt.Errorf("notifier %s: %w", r.o.Name, err)
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

	s := &session{Runner: r, kv: kv, sendCtx: sendCtx}
	r.log.Info("delivering", "consumer", ConsumerName(r.o.Name), "digest", r.o.Digest,
		"quiet_hours", r.o.QuietHours, "rate", r.o.Rate)
	var wg sync.WaitGroup
	if r.digest != nil {
		wg.Go(func() { s.runDigest(runCtx) })
	} else if err := s.flushLeftoverDigest(runCtx); err != nil {
		r.log.Warn("leftover digest not sent", "err", err)
	}
	err = s.consume(runCtx, cons)
	stop()
	wg.Wait()
	r.log.Info("stopped")
	if err != nil {
		return fmt.Errorf("notifier %s: %w", r.o.Name, err)
	}
	return nil
}

// session is one Run: the runner plus what it opened.
type session struct {
	*Runner
	kv      jetstream.KeyValue
	sendCtx context.Context // Notify's context: cancelled ShutdownGrace after Run's
}

// settleContext is for what must still happen during shutdown (ack, mark,
// dead-letter): not cancelled with ctx, but bounded.
func settleContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}
