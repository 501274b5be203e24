// Package router forwards matched items to the alerts stream: a durable
// consumer of QUALITYWATCH_ITEMS (whose items already carry the watcher's
// verdict) that publishes every matched item as an alert (schema v1) on
// qualitywatch.alerts.<region>.<category>.
//
// Lifecycle: Run creates or binds the durable consumer "classifier" (the
// name it has always had, kept so that existing stores resume), handles
// messages until its context ends, then stops consuming and returns once the
// message in hand is finished. Each item is acknowledged only after its alert
// was stored by JetStream; a crash in between redelivers the item, and the
// repost index, which reads every alert back from the stream, knows it was
// alerted (its Nats-Msg-Id, the item id, also lets JetStream drop a second
// copy within bus.AlertsDuplicateWindow).
package router

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/repost"
)

// notMatched is how an item that does not match encodes its verdict.
const notMatched = `"verdict":{"match":false`

// ackWait is how long an item handed to a router that died waits before it
// is handed again: routing an item takes milliseconds.
const ackWait = 5 * time.Second

// ConsumerName is the durable consumer the router uses on the items stream.
const ConsumerName = "classifier"

// Metrics is what the router reports.
type Metrics interface {
	AlertPublished(region, category string)
}

// Router routes classified items to the alerts stream.
type Router struct {
	js      jetstream.JetStream
	logger  *slog.Logger
	metrics Metrics
	now     func() time.Time
	recent  *recent
}

// New returns a router on js.
func New(js jetstream.JetStream, logger *slog.Logger, m Metrics) *Router {
	return &Router{js: js, logger: logger.With("component", "router"), metrics: m, now: time.Now}
}

// Run consumes items until ctx ends.
func (s *Router) Run(ctx context.Context) error {
	rec, err := openRecent(ctx, s.js)
	if err != nil {
		return err
	}
	s.recent = rec
	cons, err := s.js.CreateOrUpdateConsumer(ctx, bus.ItemsStream, jetstream.ConsumerConfig{
		Durable:       ConsumerName,
		Description:   "qualitywatch classifier stage",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       ackWait, // short: after a crash, items in hand are routed again within seconds
		MaxDeliver:    -1,
		MaxAckPending: 64,
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
	// Most items do not match: their verdict, written first by the watcher's
	// encoder, says so without decoding the whole item and its text.
	if bytes.Contains(m.Data(), []byte(notMatched)) {
		_ = m.Ack()
		return
	}
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
	if err := s.route(ctx, it); err != nil {
		s.logger.Warn("alert publish failed; will retry", "id", it.ID, "err", err)
		_ = m.NakWithDelay(2 * time.Second)
		return
	}
	if err := m.Ack(); err != nil {
		s.logger.Warn("ack item", "id", it.ID, "err", err)
	}
}

// route publishes a matched item's alert, unless it is a notice already
// alerted from another source within bus.RepostWindow: then the copy is
// recorded on the first alert and a follow-up goes to the reposts stream.
// A correction or withdrawal naming a recent alert is published with
// update_of pointing to it. Every alert published enters the repost index,
// which is how the same item coming again is known.
func (s *Router) route(ctx context.Context, it alert.Item) error {
	now := s.now()
	if s.recent.alerted(it.ID, now) {
		// The same item again: published twice across a crash, or redelivered
		// after its alert was stored. It was alerted once; that is enough.
		s.logger.Info("item already alerted: not alerted again", "id", it.ID, "source", it.Source)
		return nil
	}
	a := alert.FromItem(it, now)
	p := repost.Of(it.Title, it.Text)
	switch rest, corrects := repost.Corrects(it.Title); {
	case it.UpdateOf != "":
	case corrects:
		first, err := s.recent.corrected(ctx, rest, p, it.ID, now)
		if err != nil {
			return err
		}
		if first != "" {
			a.UpdateOf = first
			break
		}
		fallthrough
	default:
		rec, err := s.recent.find(ctx, p, it.ID, now)
		if err != nil {
			return err
		}
		if rec != nil {
			return s.repost(ctx, rec, it, now)
		}
	}
	ack, err := s.publish(ctx, a, p)
	if err != nil {
		return err
	}
	if !ack.Duplicate { // a duplicate's stored copy comes through the follow, if it has a print
		s.recent.added(a.ID, ack.Sequence, p, a.UpdateOf != "", now)
	}
	return nil
}

// repost records it as a copy of rec's notice (its regions joining rec's)
// and publishes the follow-up: rec's alert with every copy known.
func (s *Router) repost(ctx context.Context, rec *Record, it alert.Item, now time.Time) error {
	known := slices.ContainsFunc(rec.Also, func(x alert.Also) bool { return x.Source == it.Source && x.Link == it.Link })
	if !known && !(rec.Source == it.Source && rec.Link == it.Link) {
		rec.Also = append(rec.Also, alert.Also{Source: it.Source, Link: it.Link, Detected: now.UTC().Format(time.RFC3339)})
		for _, r := range it.Verdict.Regions {
			if !slices.Contains(rec.Regions, r) {
				rec.Regions = append(rec.Regions, r)
			}
		}
		if err := s.recent.put(ctx, rec); err != nil {
			return err
		}
	}
	s.logger.Info("repost of an alerted notice: recorded, not alerted again", "id", it.ID, "source", it.Source, "first", rec.ID, "first_source", rec.Source)
	f := alert.FromItem(it, now)
	f.ID = rec.ID + "/also/" + it.ID
	f.Source, f.Link, f.Title = rec.Source, rec.Link, rec.Title
	f.Regions, f.Also, f.AlsoOf = rec.Regions, rec.Also, rec.ID
	body, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode follow-up: %w", err)
	}
	if _, err := s.send(ctx, bus.RepostSubject(rec.Source), f.ID, it.Source, body, nil); err != nil {
		return fmt.Errorf("publish follow-up %s: %w", f.ID, err)
	}
	return nil
}

// send publishes body with headers hdr (may be nil) and its Nats-Msg-Id
// and source header, and waits (at most 10 s) for the stream to store it.
func (s *Router) send(ctx context.Context, subject, id, source string, body []byte, hdr nats.Header) (*jetstream.PubAck, error) {
	if hdr == nil {
		hdr = nats.Header{}
	}
	msg := &nats.Msg{Subject: subject, Data: body, Header: hdr}
	msg.Header.Set(jetstream.MsgIDHeader, id)
	msg.Header.Set(bus.HeaderSource, source)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.js.PublishMsg(pctx, msg)
}

// publish stores alert a on its subject, with its print p in a header for
// the repost index (and, for an update, the alert it updates).
func (s *Router) publish(ctx context.Context, a alert.Alert, p repost.Print) (*jetstream.PubAck, error) {
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode alert: %w", err)
	}
	print, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode print: %w", err)
	}
	hdr := nats.Header{}
	hdr.Set(bus.HeaderPrint, string(print))
	if a.UpdateOf != "" {
		hdr.Set(bus.HeaderUpdateOf, a.UpdateOf)
	}
	region, category := first(a.Regions, "other"), first(a.Categories, "other")
	subject := bus.AlertSubject(region, category)
	ack, err := s.send(ctx, subject, a.ID, a.Source, body, hdr)
	if err != nil {
		return nil, fmt.Errorf("publish alert %s: %w", a.ID, err)
	}
	if !ack.Duplicate {
		s.metrics.AlertPublished(region, category)
		s.logger.Info("alert published", "id", a.ID, "subject", subject, "title", a.Title, "score", a.Score)
	}
	return ack, nil
}

func first(s []string, fallback string) string {
	if len(s) == 0 || s[0] == "" {
		return fallback
	}
	return s[0]
}
