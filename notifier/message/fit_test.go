package message_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func TestFitAgreesWithRender(t *testing.T) {
	custom := writeTemplate(t, `{{range .Alerts}}<{{.Title}}: {{.Summary}}>{{end}}{{if .More}} +{{.More}}{{end}}`)
	tests := []struct {
		name   string
		opts   message.Options
		format message.Format
		alerts []alert.Alert
		more   string // what Render writes when it leaves alerts out
		all    bool   // everything fits
	}{
		{"wecom bytes", message.Options{}, message.Format{Markdown: true, MaxBytes: 4096}, messagetest.Digest(120), "……另有 ", false},
		{"slack runes, english", message.Options{Locale: "en"}, message.Format{MaxRunes: 3000}, messagetest.Digest(120), "…and ", false},
		{"user template", message.Options{TemplateFile: custom}, message.Format{MaxBytes: 2000}, messagetest.Digest(40), " +", false},
		{"fits", message.Options{}, message.Format{Markdown: true, MaxBytes: 4096}, messagetest.Digest(3), "……另有 ", true},
		{"unbounded", message.Options{}, message.Format{}, messagetest.Digest(120), "……另有 ", true},
		{"single alert too big", message.Options{}, message.Format{MaxBytes: 100}, messagetest.Digest(1), "……另有 ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRenderer(t, tt.opts)
			k, err := r.Fit(tt.format, tt.alerts...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.all != (k == len(tt.alerts)) || k < 1 {
				t.Fatalf("Fit = %d of %d", k, len(tt.alerts))
			}
			body, err := r.Render(tt.format, tt.alerts[:k]...)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(body, tt.more) {
				t.Errorf("Render of the %d alerts Fit counted leaves some out:\n%s", k, body)
			}
			for _, a := range tt.alerts[:k] {
				if len(tt.alerts) > 1 && !strings.Contains(body, a.Title) {
					t.Errorf("body lacks %q", a.Title)
				}
			}
			if k == len(tt.alerts) {
				return
			}
			// Render given them all shows the same k and counts the rest.
			body, err = r.Render(tt.format, tt.alerts...)
			if err != nil {
				t.Fatal(err)
			}
			if more := fmt.Sprint(tt.more, len(tt.alerts)-k); !strings.Contains(body, more) {
				t.Errorf("Fit = %d of %d, but Render does not say %q", k, len(tt.alerts), more)
			}
		})
	}
}

func TestFitNoAlerts(t *testing.T) {
	if k, err := newRenderer(t, message.Options{}).Fit(message.Format{MaxBytes: 10}); k != 0 || err != nil {
		t.Errorf("Fit() = %d, %v; want 0, nil", k, err)
	}
}

func TestFitWhole(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		n     int
		shown func(k int) (int, error)
		want  int
		err   error
	}{
		{0, nil, 0, nil},
		{1, nil, 1, nil},
		{9, func(k int) (int, error) { return k, nil }, 9, nil},
		// The message for 9 shows 6, the one for 6 only 4: 4 is carried whole.
		{9, func(k int) (int, error) { return map[int]int{9: 6, 6: 4, 4: 4}[k], nil }, 4, nil},
		{9, func(k int) (int, error) { return 0, nil }, 1, nil},
		{9, func(k int) (int, error) { return 0, boom }, 0, boom},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, err := message.FitWhole(tt.n, tt.shown)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("FitWhole = %d, %v; want %d, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
