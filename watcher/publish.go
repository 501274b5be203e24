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

// itemMsg is it as published on qualitywatch.items.<source>, with
// Nats-Msg-Id set to the item's identity.
func itemMsg(it alert.Item) (*nats.Msg, error) {
	body, err := json.Marshal(it)
	if err != nil {
		return nil, fmt.Errorf("encode item %s: %w", it.ID, err)
	}
	msg := &nats.Msg{Subject: bus.ItemSubject(it.Source), Data: body, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, it.ID)
	return msg, nil
}

// PublishItems publishes items in order without waiting for each
// acknowledgement before sending the next, then waits for them all; the
// stream stores each or recognises it as a duplicate of one it holds. done
// is how many, from the first, were acknowledged; err says why the next was
// not.
func (p *Publisher) PublishItems(ctx context.Context, items []alert.Item) (done int, err error) {
	futures := make([]jetstream.PubAckFuture, 0, len(items))
	var sendErr error // why the items after the futures were not sent
	for _, it := range items {
		msg, err := itemMsg(it)
		if err != nil {
			sendErr = err
			break
		}
		f, err := p.js.PublishMsgAsync(msg)
		if err != nil {
			sendErr = fmt.Errorf("publish item %s: %w", it.ID, err)
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
	return len(futures), sendErr
}
