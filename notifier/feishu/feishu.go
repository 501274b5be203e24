// Package feishu delivers alerts to a 飞书 (Feishu/Lark) custom bot as an
// interactive card: a coloured header with the title line, lark_md content
// (facts and summary, or the digest's entries, or the user template) and,
// for a single alert, a button to the item.
//
// With a signing secret (签名校验) the body carries timestamp (seconds, a
// string) and sign = base64(HMAC-SHA256(key=timestamp+"\n"+secret, msg="")).
//
// The bot answers {"code":0,"msg":"success"} (older bots:
// {"StatusCode":0,...}). 11232 (frequency limited), and 9499 when its
// message says the bot is rate limited, are transient with a 60 s
// Retry-After; 19021 (sign match fail), 19024 (keyword), 9499 Bad Request and
// all other codes are permanent. A code in a 4xx answer is read the same way.
//
// Feed text is neutralised with message.EscapeMarkdown, so it cannot mention
// (<at id=all>), link or format.
package feishu

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Config configures a Feishu custom bot notifier.
type Config struct {
	// WebhookURL is https://open.feishu.cn/open-apis/bot/v2/hook/<token>.
	// It is a secret: errors and String() show its scheme and host only.
	WebhookURL string
	// Secret is the bot's signing secret; "" when the bot does not check
	// signatures.
	Secret string
	// HTTPClient sends the request; nil: httpsend.NewClient().
	HTTPClient *http.Client
	// Renderer renders the card text; nil: Chinese, built-in.
	Renderer *message.Renderer
	// Now is the clock for the signature timestamp; nil: time.Now.
	Now func() time.Time
}

// Notifier posts alerts to one Feishu custom bot.
type Notifier struct {
	url      string
	secret   string
	client   *http.Client
	renderer *message.Renderer
	now      func() time.Time
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if err := httpsend.CheckURL(cfg.WebhookURL); err != nil {
		return nil, fmt.Errorf("feishu: webhook url: %w", err)
	}
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("feishu: %w", err)
	}
	n := &Notifier{url: cfg.WebhookURL, secret: cfg.Secret, client: httpsend.ClientOrDefault(cfg.HTTPClient), renderer: r, now: cfg.Now}
	if n.now == nil {
		n.now = time.Now
	}
	return n, nil
}

// Notify posts one card: a single alert or a digest.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	c, err := n.buildCard(alerts)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("feishu: %w", err))
	}
	req := request{MsgType: "interactive", Card: c}
	if n.secret != "" {
		req.Timestamp = strconv.FormatInt(n.now().Unix(), 10)
		req.Sign = Sign(n.secret, req.Timestamp)
	}
	resp, err := httpsend.PostJSON(ctx, n.client, n.url, nil, req)
	if resp == nil {
		return err
	}
	return check(resp, err, n.url)
}

// Sign returns base64(HMAC-SHA256(key=timestamp+"\n"+secret, msg="")).
func Sign(secret, timestamp string) string {
	mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Fit reports how many of alerts, from the first, one card carries in full;
// the delivery runtime sends the rest of a digest in further cards. When
// rendering fails, it reports 1, so each alert is tried on its own.
func (n *Notifier) Fit(alerts ...alert.Alert) int {
	k, err := n.fit(alerts)
	if err != nil {
		return min(1, len(alerts))
	}
	return k
}

// String names the bot without its token.
func (n *Notifier) String() string { return "feishu " + httpsend.RedactURL(n.url) }

// answer is the bot's reply, current and legacy field names.
type answer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// Codes with a meaning for retrying.
const (
	codeFrequencyLimited = 11232
	codeBadRequest       = 9499
	limitRetryAfter      = 60 * time.Second
)

// check classifies the bot's answer. httpErr is httpsend's verdict on the
// HTTP status; a code in the body refines it.
func check(resp *httpsend.Response, httpErr error, target string) error {
	var a answer
	if json.Unmarshal(resp.Body, &a) != nil || (a.Code == nil && a.StatusCode == nil) {
		if httpErr != nil {
			return httpErr
		}
		return notifier.Transient(resp.Status, 0, fmt.Errorf("feishu: post %s: unexpected answer: %s",
			httpsend.RedactURL(target), httpsend.Snippet(resp.Body, target)))
	}
	code, msg := a.StatusCode, a.StatusMessage
	if a.Code != nil {
		code, msg = a.Code, a.Msg
	}
	if *code == 0 && httpErr == nil {
		return nil
	}
	err := fmt.Errorf("feishu: post %s: HTTP %d, code %d: %s", httpsend.RedactURL(target), resp.Status, *code, httpsend.Snippet([]byte(msg), target))
	switch {
	case *code == codeFrequencyLimited, *code == codeBadRequest && rateLimited(msg):
		return notifier.Transient(resp.Status, limitRetryAfter, err)
	case *code == 0 || httpErr != nil && !notifier.IsPermanent(httpErr):
		// A 5xx or 429 whose body says nothing more specific.
		return httpErr
	default:
		return notifier.Permanent(resp.Status, err)
	}
}

func rateLimited(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "too many") || strings.Contains(msg, "frequency") || strings.Contains(msg, "rate limit")
}

var (
	_ notifier.Notifier = (*Notifier)(nil)
	_ notifier.Fitter   = (*Notifier)(nil)
)
