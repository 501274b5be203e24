package wecom_test

import (
	"fmt"
	"os"
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
	path := t.TempDir() + "/wecom.tmpl"
	if err := os.WriteFile(path, []byte(`{{range .Alerts}}- {{.Title}}: {{.Summary}}
{{end}}{{if .More}}……另有 {{.More}} 条未显示{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	custom, err := message.NewRenderer(message.Options{TemplateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*message.Renderer{"built-in": nil, "user template": custom} {
		t.Run(name, func(t *testing.T) {
			srv, _ := robot(t, 200, nil, `{"errcode":0,"errmsg":"ok"}`)
			n := newNotifier(t, srv, r)
			rest := bigDigest()
			if k := n.Fit(rest...); k < 2 || k >= len(rest) {
				t.Fatalf("Fit of 12 big alerts = %d, want some but not all", k)
			}
			if k := n.Fit(); k != 0 {
				t.Errorf("Fit() = %d, want 0", k)
			}
			sent, messages := 0, 0
			for len(rest) > 0 {
				k := n.Fit(rest...)
				c := send(t, r, rest[:k]...).Markdown.Content
				if len(c) > 4096 || strings.Contains(c, "未显示") {
					t.Errorf("message of %d bytes for %d alerts leaves some out:\n%s", len(c), k, c)
				}
				for _, a := range rest[:k] {
					if !strings.Contains(c, a.Title) {
						t.Errorf("message lacks %q", a.Title)
					}
				}
				if k < len(rest) {
					// Notify given them all shows the same k and says so.
					more := fmt.Sprintf("……另有 %d 条未显示", len(rest)-k)
					if c := send(t, r, rest...).Markdown.Content; !strings.Contains(c, more) {
						t.Errorf("Fit said %d of %d, but Notify does not say %q", k, len(rest), more)
					}
				}
				sent += k
				messages++
				rest = rest[k:]
			}
			if sent != 12 || messages < 2 {
				t.Errorf("%d alerts in %d messages, want 12 in several", sent, messages)
			}
		})
	}
}
