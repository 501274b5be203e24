package watcher_test

import (
	"math"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// TestPublishItemsSaysWhyNothingWasSent: when an item cannot even be sent
// (here the connection is closed), none is counted as published and the
// error says so, rather than being lost.
func TestPublishItemsSaysWhyNothingWasSent(t *testing.T) {
	conn := natstest.Start(t, "")
	p := watcher.NewPublisher(conn.JS)
	items := []alert.Item{{ID: "guid:1", Source: "s"}, {ID: "guid:2", Source: "s"}}
	if done, err := p.PublishItems(t.Context(), items); err != nil || done != 2 {
		t.Fatalf("open connection: done %d, %v; want 2, nil", done, err)
	}
	conn.NC.Close()
	done, err := p.PublishItems(t.Context(), []alert.Item{{ID: "guid:3", Source: "s"}})
	if err == nil || done != 0 {
		t.Fatalf("closed connection: done %d, %v; want 0 and the reason", done, err)
	}
}

// TestPublishItemsCountsWhatWentBefore: an item that cannot be encoded
// stops the batch there; the items before it are published and counted,
// and the error names the item.
func TestPublishItemsCountsWhatWentBefore(t *testing.T) {
	conn := natstest.Start(t, "")
	p := watcher.NewPublisher(conn.JS)
	items := []alert.Item{{ID: "guid:ok", Source: "s"}, {ID: "guid:bad", Source: "s", Verdict: alert.Verdict{Score: math.NaN()}}}
	done, err := p.PublishItems(t.Context(), items)
	if done != 1 || err == nil || !strings.Contains(err.Error(), "guid:bad") {
		t.Fatalf("done %d, %v; want 1 and an error naming guid:bad", done, err)
	}
}
