package feishu_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/feishu"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// TestFitAgreesWithNotify sends a digest the way the delivery runtime does:
// Fit alerts, Notify those, go on with the rest. Every card shows every
// alert it carries, and every alert goes out once.
func TestFitAgreesWithNotify(t *testing.T) {
	path := t.TempDir() + "/feishu.tmpl"
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
			srv, _ := bot(t, 200, nil, `{"code":0,"msg":"success","data":{}}`)
			cfg := feishu.Config{Renderer: r}
			n := newNotifier(t, srv, cfg)
			rest := messagetest.Digest(120)
			if k := n.Fit(rest...); k < 2 || k >= len(rest) {
				t.Fatalf("Fit of 120 alerts = %d, want some but not all", k)
			}
			sent, messages := 0, 0
			for len(rest) > 0 {
				k := n.Fit(rest...)
				c := send(t, cfg, rest[:k]...).content()
				if len(c) > 12000 || strings.Contains(c, "未显示") {
					t.Errorf("card of %d bytes for %d alerts leaves some out", len(c), k)
				}
				for _, a := range rest[:k] {
					if !strings.Contains(c, a.Title) {
						t.Errorf("card lacks %q", a.Title)
					}
				}
				if k < len(rest) {
					more := fmt.Sprintf("……另有 %d 条未显示", len(rest)-k)
					if c := send(t, cfg, rest...).content(); !strings.Contains(c, more) {
						t.Errorf("Fit said %d of %d, but Notify does not say %q", k, len(rest), more)
					}
				}
				sent += k
				messages++
				rest = rest[k:]
			}
			if sent != 120 || messages < 2 {
				t.Errorf("%d alerts in %d messages, want 120 in several", sent, messages)
			}
		})
	}
}
