package messagetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// UserTemplate writes a user template that lists every alert and says how
// many were left out, and returns a renderer using it.
func UserTemplate(t testing.TB) *message.Renderer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "user.tmpl")
	if err := os.WriteFile(path, []byte(`{{range .Alerts}}- {{.Title}}: {{.Summary}}
{{end}}{{if .More}}……另有 {{.More}} 条未显示{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := message.NewRenderer(message.Options{TemplateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// CheckFit sends alerts the way the delivery runtime sends a digest: fit
// alerts, notify those, go on with the rest. send notifies and returns the
// text of the message the target got; maxBytes is the channel's limit. Every
// message must carry every alert Fit gave it, whole, within the limit; and
// Notify given all the rest must say it left out exactly what Fit did.
func CheckFit(t *testing.T, fit func(...alert.Alert) int, send func(...alert.Alert) string, maxBytes int, alerts []alert.Alert) {
	t.Helper()
	rest := alerts
	if k := fit(rest...); k < 2 || k >= len(rest) {
		t.Fatalf("Fit of %d alerts = %d, want some but not all", len(rest), k)
	}
	sent, messages := 0, 0
	for len(rest) > 0 {
		k := fit(rest...)
		text := send(rest[:k]...)
		if len(text) > maxBytes || strings.Contains(text, "未显示") {
			t.Errorf("message of %d bytes for %d alerts leaves some out", len(text), k)
		}
		for _, a := range rest[:k] {
			if !strings.Contains(text, a.Title) {
				t.Errorf("message lacks %q", a.Title)
			}
		}
		if k < len(rest) {
			more := fmt.Sprintf("……另有 %d 条未显示", len(rest)-k)
			if text := send(rest...); !strings.Contains(text, more) {
				t.Errorf("Fit said %d of %d, but Notify does not say %q", k, len(rest), more)
			}
		}
		sent += k
		messages++
		rest = rest[k:]
	}
	if sent != len(alerts) || messages < 2 {
		t.Errorf("%d alerts in %d messages, want %d in several", sent, messages, len(alerts))
	}
}
