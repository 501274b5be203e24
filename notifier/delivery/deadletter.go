package delivery

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
)

// Dead-letter headers besides bus.HeaderReason and bus.HeaderNotifier.
const (
	// HeaderAttempts is how many deliveries were tried.
	HeaderAttempts = "Qualitywatch-Attempts"
	// HeaderSubject is the alert's original subject.
	HeaderSubject = "Qualitywatch-Subject"
)

// maxReason bounds the reason header.
const maxReason = 1024

// deadLetter publishes one undeliverable alert body to
// qualitywatch.deadletter.<name> with why, and with Nats-Msg-Id
// "<name>:<alert id>" so that a retried publish is stored once.
func deadLetter(ctx context.Context, js jetstream.JetStream, name string, body []byte, subject, id string, cause error, attempts int) error {
	m := nats.NewMsg(bus.DeadLetterSubject(name))
	m.Data = body
	m.Header.Set(bus.HeaderReason, reasonText(cause))
	m.Header.Set(bus.HeaderNotifier, name)
	m.Header.Set(HeaderAttempts, strconv.Itoa(attempts))
	if subject != "" {
		m.Header.Set(HeaderSubject, subject)
	}
	_, err := js.PublishMsg(ctx, m, jetstream.WithMsgID(name+":"+id), jetstream.WithExpectStream(bus.DeadLetterStream))
	if err != nil {
		return fmt.Errorf("publish dead letter %s: %w", id, err)
	}
	return nil
}

// reasonText is cause as one header line, bounded. Channels redact secrets
// from their errors before they get here.
func reasonText(cause error) string {
	if cause == nil {
		return "unknown"
	}
	s := strings.Join(strings.Fields(cause.Error()), " ")
	if len(s) > maxReason {
		s = strings.ToValidUTF8(s[:maxReason], "") + "…"
	}
	return s
}

// bury dead-letters msg and terminates it so that it is never redelivered.
// When the dead-letter publish fails, msg stays in the alerts stream and is
// tried again later: nothing is terminated before it is stored elsewhere.
func (s *session) bury(ctx context.Context, msg jetstream.Msg, id string, cause error, attempts int) settlement {
	sctx, cancel := settleContext(ctx)
	defer cancel()
	if err := deadLetter(sctx, s.js, s.o.Name, msg.Data(), msg.Subject(), id, cause, attempts); err != nil {
		s.log.Error("dead letter not stored, will retry", "alert_id", id, "reason", reasonText(cause), "err", err)
		return nak(s.o.BackoffInitial)
	}
	s.m.DeadLettered(s.o.Name)
	s.log.Error("alert dead-lettered", "alert_id", id, "attempts", attempts,
		"subject", bus.DeadLetterSubject(s.o.Name), "err", cause)
	return term("dead-lettered to " + bus.DeadLetterSubject(s.o.Name))
}
