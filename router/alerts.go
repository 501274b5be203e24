package router

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/repost"
)

// indexed is an alert as its headers tell the index of it.
type indexed struct {
	id     string
	key    recordKey
	seq    uint64
	at     time.Time // when the stream stored it
	print  repost.Print
	update bool // an update or correction of an earlier alert
}

// caughtCheck is how often followAlerts asks the server whether it has
// read everything, in case what was pending at the start was removed
// before it was delivered (then no message says so).
const caughtCheck = time.Second

// followAlerts reads the alerts stored since since, headers only, and
// calls fn for each that carries a print (bus.HeaderPrint), in order, on
// one goroutine. The returned channel is closed once every alert stored
// when it started, and still stored, has been read. With follow it goes on
// with alerts as they are stored until ctx ends; without, it stops there
// and removes its consumer.
func followAlerts(ctx context.Context, js jetstream.JetStream, since time.Time, follow bool, fn func(indexed)) (<-chan struct{}, error) {
	cons, err := js.OrderedConsumer(ctx, bus.AlertsStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{bus.AlertsPrefix + ".>"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
		HeadersOnly:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", bus.AlertsStream, err)
	}
	caught := make(chan struct{})
	var once sync.Once
	// reached: every alert stored at the start (and still stored) was read.
	reached := func() { once.Do(func() { close(caught) }) }
	// handled is the last message handled, as its consumer numbered it.
	var handled struct {
		sync.Mutex
		consumer string
		seq      uint64
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			return
		}
		h := m.Headers()
		if p := h.Get(bus.HeaderPrint); p != "" {
			a := indexed{id: h.Get(jetstream.MsgIDHeader), seq: meta.Sequence.Stream, at: meta.Timestamp,
				update: h.Get(bus.HeaderUpdateOf) != ""}
			if json.Unmarshal([]byte(p), &a.print) == nil && a.id != "" {
				a.key = keyOf(a.id)
				fn(a)
			}
		}
		handled.Lock()
		handled.consumer, handled.seq = meta.Consumer, meta.Sequence.Consumer
		handled.Unlock()
		if meta.NumPending == 0 {
			reached()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", bus.AlertsStream, err)
	}
	if info := cons.CachedInfo(); info != nil && info.NumPending == 0 {
		reached()
	}
	go func() {
		defer func() {
			cc.Stop()
			if info := cons.CachedInfo(); !follow && info != nil {
				dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = js.DeleteConsumer(dctx, bus.AlertsStream, info.Name)
				cancel()
			}
		}()
		tick := time.NewTicker(caughtCheck)
		defer tick.Stop()
		checks, pending := tick.C, (<-chan struct{})(caught)
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
				if !follow {
					return
				}
				checks, pending = nil, nil // caught up: follow until ctx ends
			case <-checks:
				if info, err := cons.Info(ctx); err == nil {
					handled.Lock()
					done := caughtUp(info, handled.consumer, handled.seq)
					handled.Unlock()
					if done {
						reached()
					}
				}
			}
		}
	}()
	return caught, nil
}

// caughtUp reports whether a consumer the server says is info has nothing
// left for its handler: nothing pending, and every message it delivered
// handled (the last handled was number seq of consumer name). The server's
// stream position moves past removed messages; its consumer sequence counts
// only what it delivered.
func caughtUp(info *jetstream.ConsumerInfo, name string, seq uint64) bool {
	return info.NumPending == 0 && (info.Delivered.Consumer == 0 || (info.Name == name && info.Delivered.Consumer <= seq))
}
