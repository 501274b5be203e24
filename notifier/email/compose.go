package email

import (
	"embed"
	"fmt"
	"html/template"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
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

// AlertIDHeader carries notifier.DedupKey of the message: the alert id of
// a single-alert message, "digest:<32 hex digits>" for a digest.
const AlertIDHeader = "X-Qualitywatch-Alert-Id"

// MessageID is the Message-ID (without angle brackets) of the message
// carrying alerts: notifier.SetDigest of them (the first 32 hex digits of
// the SHA-256 of the sorted ids joined by newlines) at "qualitywatch". It is
// the same each time the same alerts are sent, so a repeat after a crash
// (delivery is at least once) can be recognised, and mail clients that
// thread or dedupe by Message-ID show it once.
func MessageID(alerts ...alert.Alert) string {
	return notifier.SetDigest(alerts...) + "@qualitywatch"
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
	m.SetGenHeader(AlertIDHeader, message.OneLine(notifier.DedupKey(alerts...)))
	m.SetBodyString(gomail.TypeTextPlain, text)
	m.AddAlternativeString(gomail.TypeTextHTML, html.String())
	return m, nil
}

// maxSubjectRunes keeps subjects readable in a mail client's list.
const maxSubjectRunes = 200
