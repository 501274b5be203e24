package wecom_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// bigDigest is 12 alerts whose digest exceeds 4096 bytes.
func bigDigest() []alert.Alert {
	as := messagetest.Digest(12)
	for i := range as {
		as[i].Summary = strings.Repeat("抽检不合格。", 40)
	}
	return as
}

// TestFitAgreesWithNotify sends a digest the way the delivery runtime does:
// Fit alerts, Notify those, go on with the rest. Every message shows every
// alert it carries, and every alert goes out once.
func TestFitAgreesWithNotify(t *testing.T) {
	for name, r := range map[string]*message.Renderer{"built-in": nil, "user template": messagetest.UserTemplate(t)} {
		t.Run(name, func(t *testing.T) {
			srv, _ := robot(t, 200, nil, `{"errcode":0,"errmsg":"ok"}`)
			n := newNotifier(t, srv, r)
			if k := n.Fit(); k != 0 {
				t.Errorf("Fit() = %d, want 0", k)
			}
			messagetest.CheckFit(t, n.Fit, func(as ...alert.Alert) string { return send(t, r, as...).Markdown.Content }, 4096, bigDigest())
		})
	}
}
