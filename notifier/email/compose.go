package email

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"slices"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

//go:embed templates/*.html
var templateFS embed.FS

// htmlTemplates are parsed once; html/template values are safe for
// concurrent execution.
var htmlTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
}).ParseFS(templateFS, "templates/*.html"))

// AlertIDHeader carries the alert id of a single-alert message.
const AlertIDHeader = "X-Qualitywatch-Alert-Id"

// MessageID is the Message-ID (without angle brackets) of the message
// carrying alerts: the first 32 hex digits of the SHA-256 of the alert id,
// or of the sorted ids joined by newlines for a digest, at "qualitywatch".
// It is the same on every redelivery of the same alerts.
func MessageID(alerts ...alert.Alert) string {
	ids := make([]string, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
	return hex.EncodeToString(sum[:])[:32] + "@qualitywatch"
}

// compose builds the message: headers, a text part and an HTML alternative.
func (n *Notifier) compose(alerts []alert.Alert) (*gomail.Msg, error) {
	r := n.renderer
	text, err := r.Text(alerts...)
	if err != nil {
		return nil, err
	}
	var html strings.Builder
	if r.HasTemplate() {
		err = htmlTemplates.ExecuteTemplate(&html, "custom.html", text)
	} else {
		err = htmlTemplates.ExecuteTemplate(&html, "alert.html", r.Data(nil, alerts...))
	}
	if err != nil {
		return nil, fmt.Errorf("render html: %w", err)
	}
	m := gomail.NewMsg()
	if err := m.From(n.cfg.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := m.To(n.cfg.To...); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	m.Subject(message.TruncateRunes(r.Title(alerts...), maxSubjectRunes))
	m.SetMessageIDWithValue(MessageID(alerts...))
	m.SetDate()
	if len(alerts) == 1 {
		m.SetGenHeader(AlertIDHeader, message.OneLine(alerts[0].ID))
	}
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html.String())
	return m, nil
}

// maxSubjectRunes keeps subjects readable in a mail client's list.
const maxSubjectRunes = 200
