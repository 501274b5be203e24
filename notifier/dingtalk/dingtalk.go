// Package dingtalk delivers alerts to a 钉钉 (DingTalk) custom group robot as
// a markdown message:
//
//	{"msgtype":"markdown","markdown":{"title":"质量预警：…","text":"### …"}}
//
// With a signing secret (加签, "SEC…"), the query parameters timestamp
// (milliseconds since the epoch) and sign = base64(HMAC-SHA256(key=secret,
// msg=timestamp+"\n"+secret)), URL-encoded, are added to the webhook URL.
//
// The robot answers HTTP 200 with {"errcode":0,"errmsg":"ok"}; a non-zero
// errcode is a failure. Throttling (130101 send too fast, 410100) is
// transient with a 60 s Retry-After, -1 (system busy) transient; signature,
// keyword, IP and token errors (310000, 300001, 400xxx, …) are permanent.
//
// Feed text is neutralised with message.EscapeMarkdown; the robot only
// mentions people through the "at" field, which is never sent.
package dingtalk

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Size limits of a markdown message.
const (
	maxTextBytes  = 15000
	maxTitleRunes = 100
)

// Config configures a DingTalk robot notifier.
type Config struct {
	// WebhookURL is https://oapi.dingtalk.com/robot/send?access_token=…
	// It is a secret: errors and String() show its scheme and host only.
	WebhookURL string
	// Secret is the robot's signing secret (加签); "" when the robot is
	// secured by keywords or IP instead.
	Secret string
	// HTTPClient sends the request; nil: httpsend.NewClient().
	HTTPClient *http.Client
	// Renderer renders title and markdown; nil: Chinese, built-in.
	Renderer *message.Renderer
	// Now is the clock for the signature timestamp; nil: time.Now.
	Now func() time.Time
}

// Notifier posts alerts to one DingTalk robot.
type Notifier struct {
	url      *url.URL
	secret   string
	client   *http.Client
	renderer *message.Renderer
	now      func() time.Time
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if err := httpsend.CheckURL(cfg.WebhookURL); err != nil {
		return nil, fmt.Errorf("dingtalk: webhook url: %w", err)
	}
	u, _ := url.Parse(cfg.WebhookURL) // checked above
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("dingtalk: %w", err)
	}
	n := &Notifier{url: u, secret: cfg.Secret, client: httpsend.ClientOrDefault(cfg.HTTPClient), renderer: r, now: cfg.Now}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

type markdownMessage struct {
	MsgType  string   `json:"msgtype"` // "markdown"
	Markdown markdown `json:"markdown"`
}

type markdown struct {
	Title string `json:"title"` // shown in the notification and chat list
	Text  string `json:"text"`
}

// Notify posts one markdown message: a single alert or a digest.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	text, err := n.renderer.Render(markdownFormat(), alerts...)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("dingtalk: %w", err))
	}
	msg := markdownMessage{MsgType: "markdown", Markdown: markdown{
		Title: message.TruncateRunes(n.renderer.Title(alerts...), maxTitleRunes),
		Text:  text,
	}}
	target := n.signedURL()
	resp, err := httpsend.PostJSON(ctx, n.client, target, nil, msg)
	if err != nil {
		return err
	}
	return check(resp, target)
}

// signedURL is the webhook URL, with timestamp and sign when a secret is set.
func (n *Notifier) signedURL() string {
	if n.secret == "" {
		return n.url.String()
	}
	ts := strconv.FormatInt(n.now().UnixMilli(), 10)
	u := *n.url
	q := u.Query()
	q.Set("timestamp", ts)
	q.Set("sign", Sign(n.secret, ts))
	u.RawQuery = q.Encode()
	return u.String()
}

// Sign returns base64(HMAC-SHA256(key=secret, msg=timestamp+"\n"+secret)),
// before URL encoding.
func Sign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// markdownFormat is how Notify renders the markdown, and what Fit measures.
func markdownFormat() message.Format {
	return message.Format{Markdown: true, MaxBytes: maxTextBytes}
}

// Fit reports how many of alerts, from the first, one message carries in
// full: a digest that does not fit within maxTextBytes is sent by the delivery
// runtime as several messages instead of leaving alerts out. When the
// renderer fails, it reports 1, so each alert is tried on its own.
func (n *Notifier) Fit(alerts ...alert.Alert) int {
	k, err := n.renderer.Fit(markdownFormat(), alerts...)
	if err != nil {
		return min(1, len(alerts))
	}
	return k
}

// String names the robot without its access token.
func (n *Notifier) String() string { return "dingtalk " + httpsend.RedactURL(n.url.String()) }

var (
	_ notifier.Notifier = (*Notifier)(nil)
	_ notifier.Fitter   = (*Notifier)(nil)
)
