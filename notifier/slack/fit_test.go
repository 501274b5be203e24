package slack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// allText is every text of p joined.
func allText(p payload) string { return strings.Join(texts(p), "\n") }

// TestFitAgreesWithNotify sends a digest the way the delivery runtime does:
// Fit alerts, Notify those, go on with the rest. Every message shows every
// alert it carries, and every alert goes out once.
func TestFitAgreesWithNotify(t *testing.T) {
	path := t.TempDir() + "/slack.tmpl"
	if err := writeFile(path, `{{range .Alerts}}• {{.Title}}: {{.Summary}}
{{end}}{{if .More}}……另有 {{.More}} 条未显示{{end}}`); err != nil {
		t.Fatal(err)
	}
	long := messagetest.Digest(60)
	for i := range long {
		long[i].Summary = strings.Repeat("抽检<b>", 200)
	}
	tests := []struct {
		name   string
		opts   message.Options
		alerts []alert.Alert
	}{
		{"built-in", message.Options{}, messagetest.Digest(120)},
		{"built-in, long summaries", message.Options{}, long},
		{"user template", message.Options{TemplateFile: path}, messagetest.Digest(60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, 200, nil, "ok")
			n := newNotifier(t, f.srv.URL+secretPath, tt.opts)
			notify := func(as ...alert.Alert) string {
				t.Helper()
				if err := n.Notify(t.Context(), as...); err != nil {
					t.Fatalf("Notify: %v", err)
				}
				return allText(<-f.requests)
			}
			rest := tt.alerts
			if k := n.Fit(rest...); k < 2 || k >= len(rest) {
				t.Fatalf("Fit of %d alerts = %d, want some but not all", len(rest), k)
			}
			sent, messages := 0, 0
			for len(rest) > 0 {
				k := n.Fit(rest...)
				s := notify(rest[:k]...)
				if strings.Contains(s, "……另有") {
					t.Errorf("message for %d alerts leaves some out", k)
				}
				for _, a := range rest[:k] {
					if !strings.Contains(s, a.Title) {
						t.Errorf("message lacks %q", a.Title)
					}
				}
				if k < len(rest) {
					more := fmt.Sprintf("……另有 %d 条未显示", len(rest)-k)
					if s := notify(rest...); !strings.Contains(s, more) {
						t.Errorf("Fit said %d of %d, but Notify does not say %q", k, len(rest), more)
					}
				}
				sent += k
				messages++
				rest = rest[k:]
			}
			if sent != len(tt.alerts) || messages < 2 {
				t.Errorf("%d alerts in %d messages, want %d in several", sent, messages, len(tt.alerts))
			}
		})
	}
}
