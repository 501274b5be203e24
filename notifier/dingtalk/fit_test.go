package dingtalk_test

import (
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/dingtalk"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// TestFitAgreesWithNotify sends a digest the way the delivery runtime does:
// Fit alerts, Notify those, go on with the rest. Every message shows every
// alert it carries, and every alert goes out once.
func TestFitAgreesWithNotify(t *testing.T) {
	for name, r := range map[string]*message.Renderer{"built-in": nil, "user template": messagetest.UserTemplate(t)} {
		t.Run(name, func(t *testing.T) {
			srv, _ := robot(t, 200, nil, `{"errcode":0,"errmsg":"ok"}`)
			cfg := dingtalk.Config{Renderer: r}
			n := newNotifier(t, srv, cfg)
			messagetest.CheckFit(t, n.Fit, func(as ...alert.Alert) string { return send(t, cfg, as...).body.Markdown.Text }, 15000, messagetest.Digest(80))
		})
	}
}
