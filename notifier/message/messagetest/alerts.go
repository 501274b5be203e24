// Package messagetest provides alerts for the channels' tests: an ordinary
// one, a hostile one whose feed text tries to inject markup, and digests.
package messagetest

import (
	"fmt"
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Alert returns an ordinary Chinese sampling alert from Weifang, numbered i.
func Alert(i int) alert.Alert {
	return alert.Alert{
		Schema:     alert.Schema,
		ID:         fmt.Sprintf("weifang-news:%04d", i),
		Source:     "weifang-news",
		Title:      fmt.Sprintf("潍坊市市场监管局发布第%d期食品安全抽检信息", i),
		Link:       fmt.Sprintf("https://news.example.org/weifang/%d.html", i),
		Published:  "2024-10-08T09:00:00+08:00",
		Detected:   "2024-10-08T01:05:00Z",
		Summary:    "本期共抽检食品 320 批次，其中不合格 4 批次，涉及蔬菜、水产品。" + strings.Repeat("详情见原文。", 3),
		Score:      0.93,
		Categories: []string{"sampling", "recall"},
		Regions:    []string{"weifang", "shandong"},
		Terms: []alert.Term{
			{Term: "抽检", Category: "sampling", Count: 3},
			{Term: "不合格", Category: "sampling", Count: 1},
		},
	}
}

// Hostile returns an alert whose feed text tries to mention everyone and
// inject links and markup in every syntax the channels speak.
func Hostile() alert.Alert {
	a := Alert(666)
	a.ID = "hostile:1"
	a.Source = "evil <!here> & co"
	a.Title = `<!channel> <https://evil.example|点击> [x](http://evil) <script>alert(1)</script> @all & <at id=all></at>`
	a.Link = "https://news.example.org/a|b>c)(x"
	a.Summary = "<@U123> *bold* [x](http://evil) <img src=x onerror=alert(1)> @all &amp;"
	a.Terms = []alert.Term{{Term: "<!everyone>", Category: "sampling", Count: 1}}
	return a
}

// Digest returns n ordinary alerts numbered 1..n.
func Digest(n int) []alert.Alert {
	out := make([]alert.Alert, n)
	for i := range out {
		out[i] = Alert(i + 1)
	}
	return out
}
