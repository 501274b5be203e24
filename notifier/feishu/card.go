package feishu

import (
	"fmt"
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Size limits: the bot rejects request bodies over 20 KB, so the card's
// markdown stays well below.
const (
	maxContentBytes = 12000
	maxHeaderRunes  = 100
)

// request is the body posted to the bot: an interactive card, with
// timestamp and sign when the bot checks signatures.
type request struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"` // "interactive"
	Card      card   `json:"card"`
}

type card struct {
	Config   cardConfig `json:"config"`
	Header   cardHeader `json:"header"`
	Elements []element  `json:"elements"`
}

type cardConfig struct {
	WideScreenMode bool `json:"wide_screen_mode"`
}

type cardHeader struct {
	Template string   `json:"template"` // header colour
	Title    cardText `json:"title"`
}

type cardText struct {
	Tag     string `json:"tag"` // "plain_text" or "lark_md"
	Content string `json:"content"`
}

// element is a "div" with lark_md text, or an "action" row of buttons.
type element struct {
	Tag     string    `json:"tag"`
	Text    *cardText `json:"text,omitempty"`
	Actions []button  `json:"actions,omitempty"`
}

type button struct {
	Tag  string   `json:"tag"` // "button"
	Text cardText `json:"text"`
	Type string   `json:"type"` // "primary"
	URL  string   `json:"url"`
}

// buildCard lays out alerts: a header with the title line, the facts and
// summary (or the digest entries, or the user template) as lark_md, and a
// button to the item for a single alert.
func (n *Notifier) buildCard(alerts []alert.Alert) (card, error) {
	r := n.renderer
	c := card{
		Config: cardConfig{WideScreenMode: true},
		Header: cardHeader{Template: "red", Title: cardText{Tag: "plain_text", Content: message.TruncateRunes(r.Title(alerts...), maxHeaderRunes)}},
	}
	if len(alerts) > 1 {
		c.Header.Template = "orange"
	}
	d := r.Data(message.EscapeMarkdown, alerts...)
	var content string
	switch {
	case r.HasTemplate():
		var err error
		if content, err = r.Render(templateFormat(), alerts...); err != nil {
			return c, err
		}
	case d.Digest:
		content, _ = digestContent(d)
	default:
		content = singleContent(d)
	}
	c.Elements = append(c.Elements, element{Tag: "div", Text: &cardText{Tag: "lark_md", Content: content}})
	if !d.Digest && d.Alerts[0].Link != "" {
		c.Elements = append(c.Elements, element{Tag: "action", Actions: []button{{
			Tag: "button", Text: cardText{Tag: "plain_text", Content: d.L.Open}, Type: "primary", URL: d.Alerts[0].Link,
		}}})
	}
	return c, nil
}

// fit is how many of alerts, from the first, one card carries in full,
// measured on the same content buildCard lays out (see notifier.Fitter).
func (n *Notifier) fit(alerts []alert.Alert) (int, error) {
	r := n.renderer
	if r.HasTemplate() {
		return r.Fit(templateFormat(), alerts...)
	}
	return message.FitWhole(len(alerts), func(k int) (int, error) {
		d := r.Data(message.EscapeMarkdown, alerts[:k]...)
		if !d.Digest {
			return k, nil
		}
		_, shown := digestContent(d)
		return shown, nil
	})
}

// templateFormat is how a user template's content is rendered.
func templateFormat() message.Format {
	return message.Format{Markdown: true, MaxBytes: maxContentBytes}
}

func singleContent(d message.Data) string {
	a, l := d.Alerts[0], d.L
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "**%s**%s%s\n", label, l.Colon, value)
		}
	}
	line(l.Source, a.Source)
	line(l.Published, a.Published)
	line(l.Regions, strings.Join(a.Regions, l.Sep))
	line(l.Categories, strings.Join(a.Categories, l.Sep))
	line(l.Score, a.Score)
	line(l.Terms, strings.Join(a.Terms, l.Sep))
	if a.Summary != "" {
		b.WriteString("\n" + a.Summary)
	}
	return message.TruncateBytes(strings.TrimRight(b.String(), "\n"), maxContentBytes)
}

// digestContent lists as many whole entries as fit, then how many did not.
// It returns the content and how many alerts it shows.
func digestContent(d message.Data) (string, int) {
	l := d.L
	var b strings.Builder
	for i, a := range d.Alerts {
		var e strings.Builder
		title := a.Title
		if a.Link != "" {
			title = "[" + a.Title + "](" + a.Link + ")"
		}
		fmt.Fprintf(&e, "**%d. %s**\n%s", i+1, title, a.Source)
		if len(a.Regions) > 0 {
			e.WriteString(" · " + strings.Join(a.Regions, l.Sep))
		}
		if len(a.Categories) > 0 {
			e.WriteString(" · " + strings.Join(a.Categories, l.Sep))
		}
		e.WriteString(" · " + l.Score + " " + a.Score)
		if a.Summary != "" {
			e.WriteString("\n" + a.Summary)
		}
		more := fmt.Sprintf("\n\n"+l.More, len(d.Alerts)-i)
		if b.Len()+2+e.Len()+len(more) > maxContentBytes && i > 0 {
			b.WriteString(more)
			return b.String(), i
		}
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(e.String())
	}
	return message.TruncateBytes(b.String(), maxContentBytes), len(d.Alerts)
}
