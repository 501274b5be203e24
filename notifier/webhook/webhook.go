// Package webhook posts alerts as JSON to any HTTP endpoint.
//
// A single alert is posted as the alert v1 object itself (see package
// alert: {"schema":"qualitywatch.alert.v1","id":...}). A digest is posted as
//
//	{"schema":"qualitywatch.digest.v1","alerts":[<alert v1>, ...]}
//
// Headers: Content-Type: application/json; X-Qualitywatch-Alert-Id (see
// below); and, when a secret is configured, X-Qualitywatch-Signature:
// sha256=<hex HMAC-SHA256 of the exact body, keyed with the secret>.
// Receivers should compare it in constant time.
//
// Delivery is at least once: when the daemon dies while the receiver is
// answering, the same body is posted again after the restart. Receivers
// that must not act twice drop a request whose X-Qualitywatch-Alert-Id they
// have already processed. It is the alert id for a single alert (on one
// line: runs of white space as one space), and for a digest
// "digest:<32 hex digits>", a hash of the sorted ids of the alerts it
// carries (see notifier.DedupKey), never the ids themselves: a digest's ids
// could outgrow what servers accept in a header. A digest sent again after a
// crash may carry alerts stored since, and then another digest id: dedupe
// digests on the "id" of each alert in the body.
//
// Any 2xx is success; see httpsend for how failures are classified.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// DigestSchema names the digest body version.
const DigestSchema = "qualitywatch.digest.v1"

// Headers set on every request.
const (
	SignatureHeader = "X-Qualitywatch-Signature"
	AlertIDHeader   = "X-Qualitywatch-Alert-Id"
)

// Digest is the body posted for several alerts.
type Digest struct {
	Schema string        `json:"schema"` // DigestSchema
	Alerts []alert.Alert `json:"alerts"`
}

// Config configures a webhook notifier.
type Config struct {
	// URL receives the POST. It may hold credentials: errors and String()
	// show its scheme and host only.
	URL string
	// Secret, when set, keys the HMAC-SHA256 body signature.
	Secret string
	// HTTPClient sends the request; nil: httpsend.NewClient().
	HTTPClient *http.Client
}

// Notifier posts alerts to one URL.
type Notifier struct {
	url    string
	secret []byte
	client *http.Client
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if err := httpsend.CheckURL(cfg.URL); err != nil {
		return nil, fmt.Errorf("webhook: url: %w", err)
	}
	n := &Notifier{url: cfg.URL, secret: []byte(cfg.Secret), client: httpsend.ClientOrDefault(cfg.HTTPClient)}
	return n, nil
}

// Notify posts one body: the alert itself, or a digest of several.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	header := http.Header{}
	header.Set(AlertIDHeader, message.OneLine(notifier.DedupKey(alerts...)))
	var v any = Digest{Schema: DigestSchema, Alerts: alerts}
	if len(alerts) == 1 {
		v = alerts[0]
	}
	body, err := httpsend.MarshalJSON(v)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("webhook: %w", err))
	}
	if len(n.secret) > 0 {
		header.Set(SignatureHeader, Signature(n.secret, body))
	}
	_, err = httpsend.Post(ctx, n.client, httpsend.Request{URL: n.url, Header: header, Body: body})
	return err
}

// Signature returns the X-Qualitywatch-Signature value for body:
// "sha256=" followed by the hex HMAC-SHA256 of body keyed with secret.
func Signature(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// String names the target without its path, query or secret.
func (n *Notifier) String() string { return "webhook " + httpsend.RedactURL(n.url) }

var _ notifier.Notifier = (*Notifier)(nil)
