// Package notifier defines the one interface every delivery channel
// implements, and the error classes that tell the delivery runtime whether a
// failed delivery may be retried.
//
// Each channel lives in its own package (notifier/slack, notifier/email, ...)
// and ends with an interface guard. The delivery runtime (notifier/delivery)
// owns acknowledgement, retry, rate limits, quiet hours, digests and
// dead-lettering; a channel only turns alerts into one request to its target.
package notifier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Notifier delivers alerts to one target. One alert is an ordinary message;
// several alerts form a digest and must be sent as one message (a channel
// that cannot carry every alert of a digest in one message implements
// Fitter, and is only given as many as fit). Notify returns
// nil only when the target accepted the message. A returned error is treated
// as transient (retried) unless it is marked with Permanent.
type Notifier interface {
	Notify(ctx context.Context, alerts ...alert.Alert) error
}

// Fitter is implemented by channels whose messages have a size limit. Fit
// reports how many of alerts, taken from the first, one message can carry
// in full (at least 1 when alerts is non-empty). The delivery runtime sends a
// digest as several messages when it does not fit in one, so no alert is
// ever left out.
//
// Fit must agree with Notify: Notify(alerts[:Fit(alerts...)]...) shows every
// alert it was given (one alert always fits; its text may be shortened). Fit
// of no alerts is 0.
type Fitter interface {
	Fit(alerts ...alert.Alert) int
}

// Error is a delivery failure with what the target said about retrying.
type Error struct {
	Err        error
	Permanent  bool          // retrying the same message cannot succeed
	RetryAfter time.Duration // the target asked to wait this long (0: not said)
	Status     int           // HTTP or SMTP status, when there was one
}

func (e *Error) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Status != 0 {
		return fmt.Sprintf("%s failure (status %d): %v", kind, e.Status, e.Err)
	}
	return fmt.Sprintf("%s failure: %v", kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as a failure that retrying cannot fix (a 4xx other than
// 429, a rejected recipient, a message the target refuses).
func Permanent(status int, err error) error {
	return &Error{Err: err, Permanent: true, Status: status}
}

// Transient marks err as worth retrying, after retryAfter when the target
// said so.
func Transient(status int, retryAfter time.Duration, err error) error {
	return &Error{Err: err, RetryAfter: retryAfter, Status: status}
}

// IsPermanent reports whether err was marked permanent.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfter returns the delay the target asked for, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}
