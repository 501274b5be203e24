package app

import (
	"embed"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/alert"
)

//go:embed web
var webFS embed.FS

// texts are the page's words in one language.
type texts struct {
	Title, Generated, Sources, Source, Type, State, LastOK, LastError, NextPoll, Entries, Alerts7d, Polls24h,
	None, PollOK, PollNM, PollErr, PollSkip, AlertsPerDay, Latest, Time, AlertTitle, Regions, Categories, Terms,
	DeliveredBy, NoAlerts, DeadLetters, Token, Reason, Replay, Drop, NoDead, Update, AlsoBy string
	States map[string]string
}

func pageTexts(lang string) texts {
	if lang == "en" {
		return texts{
			Title: "qualitywatch status", Generated: "generated", Sources: "Sources", Source: "source", Type: "type",
			State: "state", LastOK: "last success", LastError: "last error", NextPoll: "next poll", Entries: "entries",
			Alerts7d: "alerts (7 days)", Polls24h: "polls (24 hours)", None: "no sources", PollOK: "ok",
			PollNM: "not modified", PollErr: "error", PollSkip: "skipped", AlertsPerDay: "Alerts per day (30 days)",
			Latest: "Latest alerts", Time: "time", AlertTitle: "title", Regions: "regions", Categories: "categories",
			Terms: "terms", DeliveredBy: "delivered by", NoAlerts: "no alerts yet", DeadLetters: "Dead letters",
			Token: "token", Reason: "reason", Replay: "replay", Drop: "drop", NoDead: "no dead letters",
			Update: "update", AlsoBy: "also published by",
			States: map[string]string{alert.StateOK: "ok", alert.StateFailing: "failing", alert.StateStale: "stale",
				alert.StateLayout: "layout", alert.StateBlocked: "blocked"},
		}
	}
	return texts{
		Title: "qualitywatch 运行状态", Generated: "生成于", Sources: "信息源", Source: "信息源", Type: "类型",
		State: "状态", LastOK: "最近成功", LastError: "最近错误", NextPoll: "下次抓取", Entries: "条目",
		Alerts7d: "近7天预警", Polls24h: "近24小时抓取", None: "没有信息源", PollOK: "成功",
		PollNM: "未变化", PollErr: "失败", PollSkip: "跳过", AlertsPerDay: "每日预警（近30天）",
		Latest: "最新预警", Time: "时间", AlertTitle: "标题", Regions: "地区", Categories: "类别",
		Terms: "命中词", DeliveredBy: "已送达", NoAlerts: "暂无预警", DeadLetters: "投递失败（死信）",
		Token: "令牌", Reason: "原因", Replay: "重发", Drop: "删除", NoDead: "没有死信",
		Update: "更新", AlsoBy: "另见",
		States: map[string]string{alert.StateOK: "正常", alert.StateFailing: "连续失败", alert.StateStale: "停滞",
			alert.StateLayout: "版式变化", alert.StateBlocked: "被防火墙拦截"},
	}
}

// pageSource is one row of the sources table.
type pageSource struct {
	Name, Type, URL, State, StateLabel, LastErr string
	Failures, Entries, Alerts7d                 int
	LastOK, LastErrAt, NextPoll                 time.Time
	Strip                                       template.HTML
}

type pageAlert struct {
	recentAlert
	RegionNames, CategoryNames, TermList []string
}

type pageDead struct {
	Notifier string
	Letters  []deadLetter
}

type stateCount struct {
	State, Label string
	N            int
}

// pageData is everything the template shows.
type pageData struct {
	Lang, Version string
	T             texts
	Now           time.Time
	Counts        []stateCount
	Sources       []pageSource
	Chart         template.HTML
	Alerts        []pageAlert
	Dead          []pageDead
	Actions       bool
	CSS           template.CSS
	JS            template.JS
}

// namer gives a category's or a region's display name in a language.
type namer func(kind, slug, lang string) string

func newPageTemplate(loc *time.Location) (*template.Template, error) {
	funcs := template.FuncMap{
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(loc).Format("2006-01-02 15:04")
		},
		"cut": func(s string, n int) string {
			if utf8.RuneCountInString(s) <= n {
				return s
			}
			return string([]rune(s)[:n-1]) + "…"
		},
		"join": func(s []string) string { return strings.Join(s, "、") },
		// Only http(s) links become links; anything else is inert.
		"safeURL": func(s string) string {
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				return "#"
			}
			return u.String()
		},
	}
	return template.New("status.html").Funcs(funcs).ParseFS(webFS, "web/status.html")
}

func webAsset(name string) string {
	b, _ := webFS.ReadFile("web/" + name) // embedded: always there
	return string(b)
}

// stateCounts counts sources per state, every state listed.
func stateCounts(sources []pageSource, t texts) []stateCount {
	var out []stateCount
	for _, s := range alert.States() {
		n := 0
		for _, src := range sources {
			if src.State == s {
				n++
			}
		}
		out = append(out, stateCount{State: s, Label: t.States[s], N: n})
	}
	return out
}

// Chart colours: results of polls, and categories in a fixed order.
var (
	pollColours = map[string]string{"ok": "#2e9d48", "not_modified": "#9fd4aa", "error": "#d2402b", "skipped": "#b9c0c7"}
	palette     = []string{"#3b6fb6", "#e07b39", "#2e9d48", "#b03a8a", "#8c6d31", "#17a2b8", "#d2402b", "#6f42c1", "#5d6b78", "#c9a227", "#20c997", "#e83e8c"}
)

// pollStrip draws a source's polls of the last 24 hours as one SVG strip:
// a tick per cell that saw a poll, coloured by its most notable result.
func pollStrip(marks []cell, now time.Time) template.HTML {
	const w, h = 240.0, 14.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="strip" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img"><rect width="%.0f" height="%.0f" fill="#f2f4f6"/>`, w, h, w, h, w, h)
	start := now.Add(-historyWindow)
	for _, m := range marks {
		if m.At.Before(start) {
			continue
		}
		x := float64(m.At.Sub(start)) / float64(historyWindow) * (w - 2)
		c, ok := pollColours[m.Result]
		if !ok {
			c = pollColours["skipped"]
		}
		fmt.Fprintf(&b, `<rect class="poll poll-%s" x="%.1f" y="1" width="2" height="%.0f" fill="%s"/>`, template.HTMLEscapeString(m.Result), x, h-2, c)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// alertsChart draws alerts per day as stacked bars by category, with a
// legend, as SVG.
func alertsChart(st alertStats, label func(string) string) template.HTML {
	const w, h, top, bottom, left = 760.0, 220.0, 10.0, 30.0, 30.0
	cats := map[string]int{}
	most := 1
	for _, d := range st.PerDay {
		sum := 0
		for c, n := range d {
			cats[c] += n
			sum += n
		}
		most = max(most, sum)
	}
	order := make([]string, 0, len(cats))
	for c := range cats {
		order = append(order, c)
	}
	slices.SortFunc(order, func(a, b string) int { return cats[b] - cats[a] })
	colour := map[string]string{}
	for i, c := range order {
		colour[c] = palette[i%len(palette)]
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img">`, w, h+20*float64((len(order)+5)/6), w, h+20*float64((len(order)+5)/6))
	plotH := h - top - bottom
	barW := (w - left) / float64(max(len(st.Days), 1))
	fmt.Fprintf(&b, `<text x="0" y="%.0f">%d</text><text x="0" y="%.0f">0</text>`, top+8, most, h-bottom)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#b9c0c7"/>`, left, h-bottom, w, h-bottom)
	for i, day := range st.Days {
		x := left + float64(i)*barW
		y := h - bottom
		for _, c := range order {
			n := st.PerDay[i][c]
			if n == 0 {
				continue
			}
			bh := float64(n) / float64(most) * plotH
			y -= bh
			fmt.Fprintf(&b, `<rect class="bar" data-day="%s" data-category="%s" data-n="%d" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				day.Format("2006-01-02"), template.HTMLEscapeString(c), n, x+1, y, barW-2, bh, colour[c],
				day.Format("01-02"), template.HTMLEscapeString(label(c)), n)
		}
		if i%5 == 0 || i == len(st.Days)-1 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f">%s</text>`, x, h-bottom+14, day.Format("01-02"))
		}
	}
	for i, c := range order {
		x, y := left+float64(i%6)*120, h+float64(i/6)*20
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f">%s (%d)</text>`,
			x, y, colour[c], x+14, y+9, template.HTMLEscapeString(label(c)), cats[c])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// termList renders an alert's terms: "抽检×3".
func termList(ts []alert.Term) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s×%d", t.Term, t.Count))
	}
	return out
}
