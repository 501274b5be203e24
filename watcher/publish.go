package watcher

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
)

// Publisher puts new items on the items stream and waits for JetStream to
// acknowledge each one.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher returns a publisher on js.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// PublishItem publishes it on qualitywatch.items.<source> with Nats-Msg-Id
// set to the item's identity. It returns only once the stream stored it (or
// recognised it as a duplicate of a message it already holds).
func (p *Publisher) PublishItem(ctx context.Context, it alert.Item) error {
	body, err := json.Marshal(it)
	if err != nil {
		return fmt.Errorf("encode item: %w", err)
	}
	msg := &nats.Msg{Subject: bus.ItemSubject(it.Source), Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, it.ID)
	if _, err := p.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish item %s: %w", it.ID, err)
	}
	return nil
}

// PublishItems publishes items in order without waiting for each
// acknowledgement before sending the next, then waits for them all. done is
// how many, from the first, were acknowledged; err says why the next was
// not.
func (p *Publisher) PublishItems(ctx context.Context, items []alert.Item) (done int, err error) {
	futures := make([]jetstream.PubAckFuture, 0, len(items))
	for _, it := range items {
		body, err := json.Marshal(it)
		if err != nil {
			return 0, fmt.Errorf("encode item: %w", err)
		}
		msg := &nats.Msg{Subject: bus.ItemSubject(it.Source), Data: body, Header: nats.Header{}}
		msg.Header.Set(jetstream.MsgIDHeader, it.ID)
		f, err := p.js.PublishMsgAsync(msg)
		if err != nil {
			break
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return i, fmt.Errorf("publish item %s: %w", items[i].ID, err)
		case <-ctx.Done():
			return i, fmt.Errorf("publish item %s: %w", items[i].ID, ctx.Err())
		}
	}
	if len(futures) < len(items) {
		return len(futures), p.PublishItem(ctx, items[len(futures)]) // says why
	}
	return len(items), nil
}
