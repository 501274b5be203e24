package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SetupTimeout bounds SetupRetrying when the daemon starts: long enough for
// a cluster started at the same moment to elect its leaders and place
// replicated streams.
const SetupTimeout = 60 * time.Second

// setupAttempt bounds the first create or update of a stream or bucket,
// and each further attempt gets as much more, up to maxSetupAttempt:
// nats-server may drop its reply to one of several identical creates made
// at once, which would otherwise wait for nothing. Creating again what was
// created is harmless.
const (
	setupAttempt    = 2 * time.Second
	maxSetupAttempt = 10 * time.Second
)

// SetupRetrying is Setup for replicas started together on a fresh cluster:
// each stream and bucket is created or updated with a bounded wait per
// attempt (setupAttempt), and tried again with backoff (up to 4s between
// tries) until it succeeds, the error is one no wait can cure (a replicated
// stream on a single server, an invalid config), or ctx ends. A retry is
// logged when its error changes.
func SetupRetrying(ctx context.Context, js jetstream.JetStream, ret Retention, replicas int, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for _, st := range setupSteps(js, ret, replicas) {
		if err := retrying(ctx, logger, st.what, st.do); err != nil {
			return err
		}
	}
	return nil
}

func retrying(ctx context.Context, logger *slog.Logger, what string, do func(context.Context) error) error {
	start := time.Now()
	wait := 250 * time.Millisecond
	var last string
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, min(time.Duration(attempt)*setupAttempt, maxSetupAttempt))
		err := do(actx)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				logger.Info("nats set-up succeeded after retrying", "object", what, "attempts", attempt,
					"took", time.Since(start).Round(time.Millisecond))
			}
			return nil
		case permanent(err):
			return fmt.Errorf("set up %s: %w", what, err)
		case ctx.Err() != nil:
			return fmt.Errorf("set up %s: gave up after %s: %w", what, time.Since(start).Round(time.Second), err)
		}
		if err.Error() != last {
			last = err.Error()
			logger.Warn("nats is not ready to set up streams and buckets; retrying", "object", what,
				"attempt", attempt, "err", err)
		}
		select {
		case <-time.After(wait + rand.N(wait/2)):
		case <-ctx.Done():
			return fmt.Errorf("set up %s: gave up after %s: %w", what, time.Since(start).Round(time.Second), err)
		}
		wait = min(2*wait, 4*time.Second)
	}
}

// permanent reports whether err is a refusal that waiting does not change.
func permanent(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case 10074, // replicas > 1 not supported in non-clustered mode
		10052, // invalid stream config
		10039: // JetStream not enabled for the account
		return true
	}
	return false
}
