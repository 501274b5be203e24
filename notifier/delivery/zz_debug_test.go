package delivery

import (
	"fmt"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
)

func TestZZDebugRecreate(t *testing.T) {
	t.Parallel()
	c := natstest.Start(t, "")
	f := newFake()
	startRunner(t, c.JS, f, quick("phoenix"), nil)
	publish(t, c.JS, mkAlert("p-01"))
	waitFor(t, 10*time.Second, "first delivery", func() bool { return len(f.acceptedIDs()) == 1 })
	if err := c.JS.DeleteConsumer(t.Context(), bus.AlertsStream, ConsumerName("phoenix")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "consumer recreated", func() bool {
		_, err := c.JS.Consumer(t.Context(), bus.AlertsStream, ConsumerName("phoenix"))
		return err == nil
	})
	publish(t, c.JS, mkAlert("p-02"))
	deadline := time.Now().Add(5 * time.Second)
	for len(f.acceptedIDs()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(f.acceptedIDs()) < 2 {
		cons, _ := c.JS.Consumer(t.Context(), bus.AlertsStream, ConsumerName("phoenix"))
		info, _ := cons.Info(t.Context())
		fmt.Printf("INFO %+v\nDELIVERED %+v ACKFLOOR %+v pending %d ackpending %d waiting %d redeliv %d\n", info.Config.DeliverPolicy, info.Delivered, info.AckFloor, info.NumPending, info.NumAckPending, info.NumWaiting, info.NumRedelivered)
		t.Fatal("stuck")
	}
}
