package message

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Data is what a body template sees: the built-in ones and a user's
// template file alike. Every string that came from a feed (titles, summaries,
// sources, terms) has already been passed through the format's escaper, so a
// template cannot forget to escape it; Link is always a SafeLink.
type Data struct {
	Locale string      // "zh" or "en"
	Digest bool        // the message carries several alerts
	Title  string      // the message's title line, e.g. "质量预警：…" or "质量公告汇总（3 条）"
	Count  int         // number of alerts in the message, shown or not
	Alerts []AlertView // the alerts shown, in delivery order
	More   int         // alerts left out so the body fits the channel's size limit
	L      Labels      // fixed words in the locale
}

// AlertView is one alert prepared for display.
type AlertView struct {
	ID            string
	Title         string
	Link          string // http(s) URL safe to place in any link syntax, or ""
	Source        string
	Published     string
	Detected      string
	Summary       string
	Score         string   // two decimals, e.g. "0.93"
	Regions       []string // names in the locale (潍坊)
	Categories    []string // names in the locale (抽检)
	RegionSlugs   []string
	CategorySlugs []string
	Terms         []string // matched vocabulary terms
}

// Data builds the template data for alerts, passing every feed-derived string
// through esc (nil: none). Summaries are cut to a digest-sized length when
// there are several alerts. Channels that lay messages out themselves (Slack
// blocks, the email HTML part) use it directly.
func (r *Renderer) Data(esc func(string) string, alerts ...alert.Alert) Data {
	if esc == nil {
		esc = OneLine
	}
	alerts = r.Headlines(alerts)
	d := Data{
		Locale: r.locale,
		Digest: len(alerts) > 1,
		Title:  r.Title(alerts...),
		Count:  len(alerts),
		Alerts: make([]AlertView, 0, len(alerts)),
		L:      r.Labels(),
	}
	summaryRunes := maxSummaryRunes
	if d.Digest {
		summaryRunes = maxDigestSummaryRunes
	} else if len(alerts) == 1 {
		d.Title = d.L.Alert + d.L.Colon + esc(OneLine(alerts[0].Title))
	}
	for _, a := range alerts {
		v := AlertView{
			ID:            esc(a.ID),
			Title:         esc(OneLine(a.Title)),
			Link:          SafeLink(a.Link),
			Source:        esc(a.Source),
			Published:     esc(r.localTime(a.Published)),
			Detected:      esc(r.localTime(a.Detected)),
			Summary:       esc(TruncateRunes(OneLine(a.Summary), summaryRunes)),
			Score:         strconv.FormatFloat(a.Score, 'f', 2, 64),
			RegionSlugs:   mapStrings(a.Regions, esc),
			CategorySlugs: mapStrings(a.Categories, esc),
		}
		for _, s := range a.Regions {
			v.Regions = append(v.Regions, esc(r.Region(s)))
		}
		for _, s := range a.Categories {
			v.Categories = append(v.Categories, esc(r.Category(s)))
		}
		for _, t := range a.Terms {
			v.Terms = append(v.Terms, esc(t.Term))
		}
		d.Alerts = append(d.Alerts, v)
	}
	return d
}

// Summaries longer than these are cut (runes).
const (
	maxSummaryRunes       = 1000
	maxDigestSummaryRunes = 160
)

// Title is the message's title or subject line, unescaped: "质量预警：<title>"
// for one alert, "质量公告汇总（N 条）" for a digest ("Quality alert: <title>",
// "Quality announcements (N)" in English).
func (r *Renderer) Title(alerts ...alert.Alert) string {
	l := r.Labels()
	alerts = r.Headlines(alerts)
	switch {
	case len(alerts) == 1:
		return l.Alert + l.Colon + OneLine(alerts[0].Title)
	case r.locale == LocaleEN:
		return fmt.Sprintf("%s (%d)", l.Digest, len(alerts))
	default:
		return fmt.Sprintf("%s（%d 条）", l.Digest, len(alerts))
	}
}

// Headlines returns alerts with each title as the reader should see it: a
// health event's sentence in the renderer's locale, "更新：" ("Update: ")
// before an alert that revises an earlier one, "另见：" ("Also published:")
// before a follow-up naming the other sources that published the notice.
func (r *Renderer) Headlines(alerts []alert.Alert) []alert.Alert {
	out := make([]alert.Alert, len(alerts))
	for i, a := range alerts {
		switch {
		case a.Health != nil:
			a.Title = a.Health.Text(r.locale)
		case a.AlsoOf != "" && len(a.Also) > 0:
			var srcs []string
			for _, x := range a.Also {
				srcs = append(srcs, x.Source)
			}
			if r.locale == LocaleEN {
				a.Title = "Also published by " + strings.Join(srcs, ", ") + ": " + a.Title
			} else {
				a.Title = "另见（" + strings.Join(srcs, "、") + " 也发布了）：" + a.Title
			}
		case a.UpdateOf != "":
			if r.locale == LocaleEN {
				a.Title = "Update: " + a.Title
			} else {
				a.Title = "更新：" + a.Title
			}
		}
		out[i] = a
	}
	return out
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, f(s))
	}
	return out
}

// localTime shows an RFC 3339 time as a reader in the renderer's zone reads
// a clock ("2026-11-05 10:00"); anything else is shown as it is.
func (r *Renderer) localTime(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	return t.In(r.loc).Format("2006-01-02 15:04")
}
