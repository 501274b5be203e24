package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Block Kit limits, in characters.
const (
	maxBlocks       = 50
	maxHeaderRunes  = 150
	maxSectionRunes = 3000
	maxFieldRunes   = 2000
	// maxDigestRunes keeps a digest's total text under the size at which
	// Slack rejects a message with msg_blocks_too_long (about 13,000).
	maxDigestRunes = 10000
	// maxTitleRunes and maxLinkBytes bound one alert's title and link so an
	// escaped title with its link always fits in a section.
	maxTitleRunes = 300
	maxLinkBytes  = 1000
)

// webhookMessage is the body posted to an incoming webhook.
type webhookMessage struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks"`
}

type block struct {
	Type     string `json:"type"`
	Text     *text  `json:"text,omitempty"`
	Fields   []text `json:"fields,omitempty"`
	Elements []text `json:"elements,omitempty"`
}

type text struct {
	Type  string `json:"type"` // "plain_text" or "mrkdwn"
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

func header(s string) block {
	return block{Type: "header", Text: &text{Type: "plain_text", Text: message.TruncateRunes(message.OneLine(s), maxHeaderRunes), Emoji: true}}
}

func section(mrkdwn string) block {
	return block{Type: "section", Text: &text{Type: "mrkdwn", Text: message.TruncateRunes(mrkdwn, maxSectionRunes)}}
}

func contextBlock(mrkdwn string) block {
	return block{Type: "context", Elements: []text{{Type: "mrkdwn", Text: message.TruncateRunes(mrkdwn, maxSectionRunes)}}}
}

// escaper turns the three characters mrkdwn gives a meaning into entities.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes text inert in Slack mrkdwn: no mentions (<!channel>, <@U1>),
// no links (<url|text>), no entities.
func Escape(s string) string { return escaper.Replace(s) }

// link renders an escaped title as a mrkdwn link to a SafeLink, or plain when
// there is no usable link.
func link(safeURL, escapedTitle string) string {
	if safeURL == "" || len(safeURL) > maxLinkBytes {
		return escapedTitle
	}
	return "<" + safeURL + "|" + escapedTitle + ">"
}

// build lays out the message for alerts.
func (n *Notifier) build(alerts []alert.Alert) (webhookMessage, error) {
	r := n.renderer
	shortened := shorten(alerts)
	msg := webhookMessage{Text: message.TruncateRunes(Escape(r.Title(shortened...)), maxSectionRunes)}
	l := r.Labels()
	if r.HasTemplate() {
		body, err := r.Render(templateFormat(), shortened...)
		if err != nil {
			return msg, err
		}
		heading := l.Alert
		if len(alerts) > 1 {
			heading = r.Title(alerts...)
		}
		msg.Blocks = []block{header(heading), section(body)}
		return msg, nil
	}
	d := r.Data(Escape, shortened...)
	if !d.Digest {
		msg.Blocks = single(d)
		return msg, nil
	}
	msg.Blocks, _ = digest(d)
	return msg, nil
}

// fit is how many of alerts, from the first, one message carries in full,
// measured on the same layout build uses (see notifier.Fitter).
func (n *Notifier) fit(alerts []alert.Alert) (int, error) {
	r := n.renderer
	shortened := shorten(alerts)
	if r.HasTemplate() {
		return r.Fit(templateFormat(), shortened...)
	}
	return message.FitWhole(len(shortened), func(k int) (int, error) {
		d := r.Data(Escape, shortened[:k]...)
		if !d.Digest {
			return k, nil
		}
		_, shown := digest(d)
		return shown, nil
	})
}

// shorten bounds every alert's title so that a title with its link always
// fits in a section.
func shorten(alerts []alert.Alert) []alert.Alert {
	out := make([]alert.Alert, len(alerts))
	for i, a := range alerts {
		a.Title = message.TruncateRunes(message.OneLine(a.Title), maxTitleRunes)
		out[i] = a
	}
	return out
}

// templateFormat is how a user template's body is rendered.
func templateFormat() message.Format {
	return message.Format{Escape: Escape, MaxRunes: maxSectionRunes}
}

// single lays out one alert: a header, the linked title with its facts as
// fields, and the summary.
func single(d message.Data) []block {
	a, l := d.Alerts[0], d.L
	facts := block{Type: "section", Text: &text{Type: "mrkdwn", Text: "*" + link(a.Link, a.Title) + "*"}}
	field := func(label, value string) {
		if value != "" {
			facts.Fields = append(facts.Fields, text{Type: "mrkdwn", Text: message.TruncateRunes("*"+label+"*\n"+value, maxFieldRunes)})
		}
	}
	field(l.Source, a.Source)
	field(l.Regions, strings.Join(a.Regions, l.Sep))
	field(l.Categories, strings.Join(a.Categories, l.Sep))
	field(l.Score, a.Score)
	field(l.Terms, strings.Join(a.Terms, l.Sep))
	field(l.Published, a.Published)
	blocks := []block{header(l.Alert), facts}
	if a.Summary != "" {
		blocks = append(blocks, section(a.Summary))
	}
	return blocks
}

// digest lays out several alerts: a header, then entries packed into
// sections of at most 3000 characters, within the block and size budgets,
// then "…and N more" for the alerts that did not fit. It returns the blocks
// and how many alerts they show.
func digest(d message.Data) ([]block, int) {
	l := d.L
	blocks := []block{header(d.Title)}
	var cur strings.Builder
	total, shown := 0, 0
	flush := func() {
		if cur.Len() > 0 {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
		}
	}
	for i, a := range d.Alerts {
		entry := digestEntry(i+1, a, l)
		size := utf8.RuneCountInString(entry) + 2
		if total+size > maxDigestRunes {
			break
		}
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+size > maxSectionRunes {
			// The flushed section, a new one and the "more" note need room.
			if len(blocks)+3 > maxBlocks {
				break
			}
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(entry)
		total += size
		shown++
	}
	flush()
	if more := len(d.Alerts) - shown; more > 0 {
		blocks = append(blocks, contextBlock(fmt.Sprintf(l.More, more)))
	}
	return blocks, shown
}

func digestEntry(i int, a message.AlertView, l message.Labels) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d. %s*\n%s", i, link(a.Link, a.Title), a.Source)
	if len(a.Regions) > 0 {
		b.WriteString(" · " + strings.Join(a.Regions, l.Sep))
	}
	if len(a.Categories) > 0 {
		b.WriteString(" · " + strings.Join(a.Categories, l.Sep))
	}
	b.WriteString(" · " + l.Score + " " + a.Score)
	if a.Summary != "" {
		b.WriteString("\n" + a.Summary)
	}
	return message.TruncateRunes(b.String(), maxSectionRunes)
}
