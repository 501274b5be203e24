package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Delivered marks make delivery exactly once across crashes: the mark is
// checked before sending and written after the target accepted, before the
// ack. A crash between send and ack redelivers the alert, and the mark stops
// it from being sent twice. Only a crash between the target's acceptance and
// the mark write (milliseconds) can still duplicate.

// markKey is the state-bucket key of the delivered mark of one alert for one
// notifier. Alert ids are arbitrary text; their hash is a valid key token.
func markKey(name, alertID string) string {
	return "delivered." + name + "." + idHash(alertID)
}

func idHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:16])
}

// isDelivered reports whether the notifier already delivered the alert.
func isDelivered(ctx context.Context, kv jetstream.KeyValue, name, alertID string) (bool, error) {
	_, err := kv.Get(ctx, markKey(name, alertID))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	}
	return false, err
}

// putMark records that the notifier delivered the alert.
func putMark(ctx context.Context, kv jetstream.KeyValue, name, alertID string, at time.Time) error {
	_, err := kv.Put(ctx, markKey(name, alertID), []byte(at.UTC().Format(time.RFC3339)))
	return err
}

// markDelivered writes the marks of alerts just accepted by the target. A
// failure is logged, not returned: the alert was delivered, and the ack
// that follows still prevents a redelivery.
func (s *session) markDelivered(ctx context.Context, alerts ...alert.Alert) {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	now := s.o.Now()
	for _, a := range alerts {
		if err := putMark(sctx, s.kv, s.o.Name, a.ID, now); err != nil {
			s.log.Warn("write delivered mark", "alert_id", a.ID, "err", err)
		}
	}
}
