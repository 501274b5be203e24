package slack_test

import (
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
			// Block sizes have their own tests (blocks_test.go); here only
			// that no alert is left out.
			messagetest.CheckFit(t, n.Fit, notify, 1<<20, tt.alerts)
		})
	}
}
