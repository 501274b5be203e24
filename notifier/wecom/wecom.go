// Package wecom delivers alerts to a 企业微信 (WeCom) group robot as a
// markdown message:
//
//	{"msgtype":"markdown","markdown":{"content":"### 质量预警：…"}}
//
// content is at most 4096 bytes of UTF-8. Fit tells the delivery runtime how
// many alerts of a digest one message carries in full, and it sends the rest
// in further messages; given more, Notify would leave whole alerts out
// ("……另有 N 条未显示"). The text of a single alert that does not fit is cut
// at a character boundary. Feed text is neutralised with message.EscapeMarkdown, so it can
// neither link nor mention (<@userid>) nor color (<font>).
//
// The robot answers {"errcode":0,"errmsg":"ok"}; 45009 (api freq out of
// limit) is transient with a 60 s Retry-After, -1 (system busy) transient;
// 93000 (invalid webhook url) and every other code are permanent.
package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// maxContentBytes is the robot's limit on markdown content.
const maxContentBytes = 4096

// Config configures a WeCom group robot notifier.
type Config struct {
	// WebhookURL is https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
	// It is a secret: errors and String() show its scheme and host only.
	WebhookURL string
	// HTTPClient sends the request; nil: httpsend.NewClient().
	HTTPClient *http.Client
	// Renderer renders the markdown; nil: Chinese, built-in.
	Renderer *message.Renderer
}

// Notifier posts alerts to one WeCom group robot.
type Notifier struct {
	url      string
	client   *http.Client
	renderer *message.Renderer
}

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if err := httpsend.CheckURL(cfg.WebhookURL); err != nil {
		return nil, fmt.Errorf("wecom: webhook url: %w", err)
	}
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("wecom: %w", err)
	}
	n := &Notifier{url: cfg.WebhookURL, client: httpsend.ClientOrDefault(cfg.HTTPClient), renderer: r}
	return n, nil
}

type markdownMessage struct {
	MsgType  string   `json:"msgtype"` // "markdown"
	Markdown markdown `json:"markdown"`
}

type markdown struct {
	Content string `json:"content"`
}

// Notify posts one markdown message: a single alert or a digest.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	content, err := n.renderer.Render(markdownFormat(), alerts...)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("wecom: %w", err))
	}
	resp, err := httpsend.PostJSON(ctx, n.client, n.url, nil, markdownMessage{MsgType: "markdown", Markdown: markdown{Content: content}})
	if err != nil {
		return err
	}
	return check(resp, n.url)
}

// markdownFormat is how Notify renders the markdown, and what Fit measures.
func markdownFormat() message.Format {
	return message.Format{Markdown: true, MaxBytes: maxContentBytes}
}

// Fit reports how many of alerts, from the first, one message carries in
// full: a digest that does not fit within maxContentBytes is sent by the delivery
// runtime as several messages instead of leaving alerts out. When the
// renderer fails, it reports 1, so each alert is tried on its own.
func (n *Notifier) Fit(alerts ...alert.Alert) int {
	k, err := n.renderer.Fit(markdownFormat(), alerts...)
	if err != nil {
		return min(1, len(alerts))
	}
	return k
}

// String names the robot without its key.
func (n *Notifier) String() string { return "wecom " + httpsend.RedactURL(n.url) }

// answer is the robot's reply.
type answer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Error codes with a meaning for retrying.
const (
	codeSystemBusy = -1
	codeFreqLimit  = 45009
	freqRetryAfter = 60 * time.Second
)

// check reads a 2xx reply: errcode 0 is success, others are classified.
func check(resp *httpsend.Response, target string) error {
	var a answer
	if err := json.Unmarshal(resp.Body, &a); err != nil || a.ErrCode == nil {
		return notifier.Transient(resp.Status, 0, fmt.Errorf("wecom: post %s: unexpected answer: %s",
			httpsend.RedactURL(target), httpsend.Snippet(resp.Body, target)))
	}
	code := *a.ErrCode
	if code == 0 {
		return nil
	}
	err := fmt.Errorf("wecom: post %s: errcode %d: %s", httpsend.RedactURL(target), code, httpsend.Snippet([]byte(a.ErrMsg), target))
	switch code {
	case codeFreqLimit:
		return notifier.Transient(resp.Status, freqRetryAfter, err)
	case codeSystemBusy:
		return notifier.Transient(resp.Status, 0, err)
	default:
		return notifier.Permanent(resp.Status, err)
	}
}

var (
	_ notifier.Notifier = (*Notifier)(nil)
	_ notifier.Fitter   = (*Notifier)(nil)
)
