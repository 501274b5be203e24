// Package message turns alerts into the words every channel sends: a title
// line, a plain text body and a chat markdown body, in Chinese (default) or
// English, for one alert or a digest of several.
//
// Escaping belongs to the syntax a channel speaks. This package neutralises
// feed text for chat markdown (EscapeMarkdown) and makes links safe for any
// syntax (SafeLink); Slack mrkdwn and HTML escaping live in their channels,
// which pass their escaper in Format.Escape or to Renderer.Data.
//
// A user template (Options.TemplateFile, Go text/template) replaces the body
// of every message rendered by the Renderer. It receives Data; the feed text
// in it is already escaped for the channel's syntax, and the functions join
// (join LIST SEP), truncate (truncate N STRING, runes) and inc are available.
package message

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

//go:embed templates/*.tmpl
var builtin embed.FS

// Options configure a Renderer.
type Options struct {
	Locale       string         // "zh" (default) or "en"
	TemplateFile string         // optional text/template file replacing the body
	Location     *time.Location // zone for the times shown; nil: UTC+8 (China)
	// Categories names the categories of the vocabulary in force; nil: the
	// embedded vocabulary's names.
	Categories CategoryNamer
}

// Renderer renders alerts. It is safe for concurrent use.
type Renderer struct {
	locale     string
	loc        *time.Location
	text       *template.Template
	markdown   *template.Template
	custom     *template.Template // nil without Options.TemplateFile
	categories CategoryNamer
}

// NewRenderer checks opts, parses the built-in templates and the user's
// template file, and tries the user's template on a sample alert and digest
// so that a mistake is reported now, naming the file.
func NewRenderer(opts Options) (*Renderer, error) {
	r := &Renderer{locale: opts.Locale, loc: opts.Location, categories: opts.Categories}
	if r.categories == nil {
		r.categories = defaultCategories{}
	}
	if r.loc == nil {
		r.loc = rhythm.China()
	}
	switch opts.Locale {
	case "":
		r.locale = LocaleZH
	case LocaleZH, LocaleEN:
	default:
		return nil, fmt.Errorf("locale %q: want %q or %q", opts.Locale, LocaleZH, LocaleEN)
	}
	var err error
	if r.text, err = template.New("text.tmpl").Funcs(funcs).ParseFS(builtin, "templates/text.tmpl"); err != nil {
		return nil, fmt.Errorf("parse built-in template: %w", err)
	}
	if r.markdown, err = template.New("markdown.tmpl").Funcs(funcs).ParseFS(builtin, "templates/markdown.tmpl"); err != nil {
		return nil, fmt.Errorf("parse built-in template: %w", err)
	}
	if opts.TemplateFile == "" {
		return r, nil
	}
	src, err := os.ReadFile(opts.TemplateFile)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	r.custom, err = template.New(filepath.Base(opts.TemplateFile)).Option("missingkey=error").Funcs(funcs).Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", opts.TemplateFile, err)
	}
	for _, sample := range [][]alert.Alert{sampleAlerts[:1], sampleAlerts} {
		if err := r.custom.Execute(&bytes.Buffer{}, r.Data(nil, sample...)); err != nil {
			return nil, fmt.Errorf("template %s: %w", opts.TemplateFile, err)
		}
	}
	return r, nil
}

// Locale is "zh" or "en".
func (r *Renderer) Locale() string { return r.locale }

// HasTemplate reports whether a user template replaces the body.
func (r *Renderer) HasTemplate() bool { return r.custom != nil }

// Format says how a body is rendered for one channel.
type Format struct {
	// Markdown selects the built-in chat markdown body instead of plain text,
	// and EscapeMarkdown as the default escaper.
	Markdown bool
	// Escape is applied to every feed-derived string before a template sees
	// it. nil: EscapeMarkdown for Markdown, none (OneLine) for plain text.
	Escape func(string) string
	// MaxBytes and MaxRunes bound the body (0: unbounded). Whole alerts are
	// left out of a digest first (Data.More counts them; Fit says how many
	// are shown, so that the caller can send the rest in another message);
	// what still does not fit is cut at a character boundary.
	MaxBytes int
	MaxRunes int
}

// Text renders the plain text body (or the user template, unescaped).
func (r *Renderer) Text(alerts ...alert.Alert) (string, error) {
	return r.Render(Format{}, alerts...)
}

// Markdown renders the chat markdown body (or the user template) with feed
// text neutralised, within maxBytes of UTF-8 (0: unbounded).
func (r *Renderer) Markdown(maxBytes int, alerts ...alert.Alert) (string, error) {
	return r.Render(Format{Markdown: true, MaxBytes: maxBytes}, alerts...)
}

// Render renders the body of a message carrying alerts in format f.
func (r *Renderer) Render(f Format, alerts ...alert.Alert) (string, error) {
	out, _, err := r.render(f, alerts)
	return out, err
}

// render renders alerts in format f and reports how many it shows: all of
// them, or the most that fit within f's limits (at least 1), the rest
// counted in Data.More.
func (r *Renderer) render(f Format, alerts []alert.Alert) (string, int, error) {
	if len(alerts) == 0 {
		return "", 0, fmt.Errorf("render: no alerts")
	}
	t, esc := r.text, f.Escape
	if f.Markdown {
		t = r.markdown
		if esc == nil {
			esc = EscapeMarkdown
		}
	}
	if r.custom != nil {
		t = r.custom
	}
	d := r.Data(esc, alerts...)
	all := d.Alerts
	exec := func(shown int) (string, error) {
		d.Alerts, d.More = all[:shown], len(all)-shown
		var b strings.Builder
		if err := t.Execute(&b, d); err != nil {
			return "", fmt.Errorf("render %s: %w", t.Name(), err)
		}
		return b.String(), nil
	}
	out, err := exec(len(all))
	if err != nil || f.fits(out) || len(all) == 1 {
		return f.cut(out), len(all), err
	}
	// Find the most alerts that fit: fits(exec(lo)) holds or lo == 1.
	lo, hi := 1, len(all)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		s, err := exec(mid)
		if err != nil {
			return "", 0, err
		}
		if f.fits(s) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out, err = exec(lo)
	return f.cut(out), lo, err
}

func (f Format) fits(s string) bool {
	return (f.MaxBytes <= 0 || len(s) <= f.MaxBytes) &&
		(f.MaxRunes <= 0 || len([]rune(s)) <= f.MaxRunes)
}

func (f Format) cut(s string) string {
	if f.MaxRunes > 0 {
		s = TruncateRunes(s, f.MaxRunes)
	}
	if f.MaxBytes > 0 {
		s = TruncateBytes(s, f.MaxBytes)
	}
	return s
}

var funcs = template.FuncMap{
	"join":     strings.Join,
	"truncate": func(n int, s string) string { return TruncateRunes(s, n) },
	"inc":      func(i int) int { return i + 1 },
}

// sampleAlerts exercise a user template when it is loaded.
var sampleAlerts = []alert.Alert{
	{
		Schema: alert.Schema, ID: "sample-1", Source: "sample", Title: "潍坊市市场监管局发布食品抽检结果",
		Link: "https://example.org/1", Detected: "2025-01-01T00:00:00Z", Summary: "抽检 100 批次，不合格 2 批次。",
		Score: 0.9, Categories: []string{"sampling"}, Regions: []string{"weifang"},
		Terms: []alert.Term{{Term: "抽检", Category: "sampling", Count: 2}},
	},
	{
		Schema: alert.Schema, ID: "sample-2", Source: "sample", Title: "Recall notice",
		Link: "", Detected: "2025-01-01T00:00:00Z", Score: 0.5,
		Categories: []string{}, Regions: []string{}, Terms: []alert.Term{},
	},
}

// OrDefault returns r, or the built-in Chinese renderer when r is nil: the
// default every channel uses when its config names none.
func OrDefault(r *Renderer) (*Renderer, error) {
	if r != nil {
		return r, nil
	}
	return NewRenderer(Options{})
}
