// Package router forwards matched items to the alerts stream: a durable
// consumer of QUALITYWATCH_ITEMS (whose items already carry the watcher's
// verdict) that publishes every matched item as an alert (schema v1) on
// qualitywatch.alerts.<region>.<category>.
//
// Lifecycle: Run creates or binds the durable consumer "classifier" (the
// name it has always had, kept so that existing stores resume), handles
// messages until its context ends, then stops consuming and returns once the
// message in hand is finished. Each item is acknowledged only after its alert
// was stored by JetStream; a crash in between redelivers the item and the
// alert's Nats-Msg-Id (the item id) lets JetStream drop the second copy.
package router

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
)

// ConsumerName is the durable consumer the stage uses on the items stream.
const ConsumerName = "classifier"

// Metrics is what the stage reports.
type Metrics interface {
	AlertPublished(region, category string)
}

// Router routes classified items to the alerts stream.
type Router struct {
	js      jetstream.JetStream
	logger  *slog.Logger
	metrics Metrics
	now     func() time.Time
}

// New returns a stage on js.
func New(js jetstream.JetStream, logger *slog.Logger, m Metrics) *Router {
	return &Router{js: js, logger: logger.With("stage", "classifier"), metrics: m, now: time.Now}
}

// Run consumes items until ctx ends.
func (s *Router) Run(ctx context.Context) error {
	cons, err := s.js.CreateOrUpdateConsumer(ctx, bus.ItemsStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "qualitywatch classifier stage",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    -1,
		MaxAckPending: 256,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		BackOff:       nil,
	})
	if err != nil {
		return fmt.Errorf("classifier consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { s.handle(ctx, m) })
	if err != nil {
		return fmt.Errorf("classifier consume: %w", err)
	}
	<-ctx.Done()
	cc.Drain()
	<-cc.Closed()
	return nil
}

func (s *Router) handle(ctx context.Context, m jetstream.Msg) {
	it, err := alert.DecodeItem(m.Data())
	if err != nil {
		// A message that is not an item can never become one: keep it out
		// of the way, and say so.
		s.logger.Error("dropping malformed item", "subject", m.Subject(), "err", err)
		_ = m.TermWithReason("malformed item: " + err.Error())
		return
	}
	if !it.Verdict.Match {
		_ = m.Ack()
		return
	}
	if err := s.publish(ctx, it); err != nil {
		s.logger.Warn("alert publish failed; will retry", "id", it.ID, "err", err)
		_ = m.NakWithDelay(2 * time.Second)
		return
	}
	if err := m.Ack(); err != nil {
		s.logger.Warn("ack item", "id", it.ID, "err", err)
	}
}

func (s *Router) publish(ctx context.Context, it alert.Item) error {
	a := alert.FromItem(it, s.now())
	body, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode alert: %w", err)
	}
	region, category := first(a.Regions, "other"), first(a.Categories, "other")
	msg := &nats.Msg{Subject: bus.AlertSubject(region, category), Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, a.ID)
	msg.Header.Set(bus.HeaderSource, a.Source)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ack, err := s.js.PublishMsg(pctx, msg)
	if err != nil {
		return fmt.Errorf("publish alert %s: %w", a.ID, err)
	}
	if !ack.Duplicate {
		s.metrics.AlertPublished(region, category)
		s.logger.Info("alert published", "id", a.ID, "subject", msg.Subject, "title", a.Title, "score", a.Score)
	}
	return nil
}

func first(s []string, fallback string) string {
	if len(s) == 0 || s[0] == "" {
		return fallback
	}
	return s[0]
}
