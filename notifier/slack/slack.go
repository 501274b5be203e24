// Package slack delivers alerts to a Slack incoming webhook as a Block Kit
// message with a plain `text` fallback.
//
// Feed text is escaped for mrkdwn (& < >), so a title such as "<!channel>"
// or "<https://evil.example|点击>" notifies nobody and links nowhere, and
// links go through message.SafeLink before they are placed in <url|text>.
// Messages stay within Block Kit's limits: header ≤ 150 characters, section
// text ≤ 3000, ≤ 50 blocks, and a digest's text is kept well under the size
// at which Slack answers msg_blocks_too_long. Fit tells the delivery runtime
// how many alerts of a digest one message carries, and it sends the rest in
// further messages; given more, Notify counts those left out in a closing
// "…and N more" line.
//
// Slack answers 200 "ok"; 429 with Retry-After (transient); 400
// invalid_payload, 403, 404 no_service and 410 are permanent (see httpsend).
package slack

import (
	"context"
	"fmt"
	"net/http"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Config configures a Slack notifier.
type Config struct {
	// WebhookURL is the incoming webhook, https://hooks.slack.com/services/...
	// It is a secret: it never appears in errors or String().
	WebhookURL string
	// HTTPClient sends the request; nil: httpsend.NewClient().
	HTTPClient *http.Client
	// Renderer renders titles and a user template; nil: Chinese, built-in.
	Renderer *message.Renderer
}

// Notifier posts alerts to one Slack incoming webhook.
type Notifier struct {
	url      string
	client   *http.Client
	renderer *message.Renderer
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if err := httpsend.CheckURL(cfg.WebhookURL); err != nil {
		return nil, fmt.Errorf("slack: webhook url: %w", err)
	}
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	n := &Notifier{url: cfg.WebhookURL, client: httpsend.ClientOrDefault(cfg.HTTPClient), renderer: r}
	return n, nil
}

// Notify posts one message: a single alert, or a digest of several.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	msg, err := n.build(alerts)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("slack: %w", err))
	}
	_, err = httpsend.PostJSON(ctx, n.client, n.url, nil, msg)
	return err
}

// Fit reports how many of alerts, from the first, one message carries in
// full within Block Kit's limits; the delivery runtime sends the rest of a
// digest in further messages. When rendering fails, it reports 1, so each
// alert is tried on its own.
func (n *Notifier) Fit(alerts ...alert.Alert) int {
	k, err := n.fit(alerts)
	if err != nil {
		return min(1, len(alerts))
	}
	return k
}

// String names the target without its secret path.
func (n *Notifier) String() string { return "slack " + httpsend.RedactURL(n.url) }

var (
	_ notifier.Notifier = (*Notifier)(nil)
	_ notifier.Fitter   = (*Notifier)(nil)
)
