package delivery

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
)

func TestZZInfoSemantics(t *testing.T) {
	c := natstest.Start(t, "")
	publish(t, c.JS, mkAlert("p-01"))
	r, _ := New(c.JS, newFake(), quick("x"), nil, nil)
	cfg := r.consumerConfig(2)
	cons, err := c.JS.CreateConsumer(t.Context(), bus.AlertsStream, cfg)
	if err != nil {
		t.Fatal(err)
	}
	pr := func(label string) {
		info, _ := cons.Info(t.Context())
		fmt.Printf("%s: DELIVERED %+v ACKFLOOR %+v pending %d ackpending %d waiting %d\n", label, info.Delivered, info.AckFloor, info.NumPending, info.NumAckPending, info.NumWaiting)
	}
	pr("created")
	publish(t, c.JS, mkAlert("p-02"))
	pr("published")
	msgs, _ := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
	for m := range msgs.Messages() {
		md, _ := m.Metadata()
		fmt.Println("got stream seq", md.Sequence.Stream)
	}
	pr("fetched")
}
