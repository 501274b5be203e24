package dingtalk_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/dingtalk"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// TestFitAgreesWithNotify sends a digest the way the delivery runtime does:
// Fit alerts, Notify those, go on with the rest. Every message shows every
// alert it carries, and every alert goes out once.
func TestFitAgreesWithNotify(t *testing.T) {
	path := t.TempDir() + "/dingtalk.tmpl"
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
			cfg := dingtalk.Config{Renderer: r}
			n := newNotifier(t, srv, cfg)
			rest := messagetest.Digest(80)
			if k := n.Fit(rest...); k < 2 || k >= len(rest) {
				t.Fatalf("Fit of 80 alerts = %d, want some but not all", k)
			}
			sent, messages := 0, 0
			for len(rest) > 0 {
				k := n.Fit(rest...)
				text := send(t, cfg, rest[:k]...).body.Markdown.Text
				if len(text) > 15000 || strings.Contains(text, "未显示") {
					t.Errorf("message of %d bytes for %d alerts leaves some out", len(text), k)
				}
				for _, a := range rest[:k] {
					if !strings.Contains(text, a.Title) {
						t.Errorf("message lacks %q", a.Title)
					}
				}
				if k < len(rest) {
					// Notify given them all shows the same k and says so.
					more := fmt.Sprintf("……另有 %d 条未显示", len(rest)-k)
					if text := send(t, cfg, rest...).body.Markdown.Text; !strings.Contains(text, more) {
						t.Errorf("Fit said %d of %d, but Notify does not say %q", k, len(rest), more)
					}
				}
				sent += k
				messages++
				rest = rest[k:]
			}
			if sent != 80 || messages < 2 {
				t.Errorf("%d alerts in %d messages, want 80 in several", sent, messages)
			}
		})
	}
}
