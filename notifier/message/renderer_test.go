package message_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func TestTitle(t *testing.T) {
	zh := newRenderer(t, message.Options{})
	en := newRenderer(t, message.Options{Locale: "en"})
	a := messagetest.Alert(1)
	a.Title = "潍坊\n抽检  结果"
	tests := []struct {
		name   string
		r      *message.Renderer
		alerts []alert.Alert
		want   string
	}{
		{"zh single", zh, []alert.Alert{a}, "质量预警：潍坊 抽检 结果"},
		{"zh digest", zh, messagetest.Digest(3), "质量公告汇总（3 条）"},
		{"en single", en, []alert.Alert{a}, "Quality alert: 潍坊 抽检 结果"},
		{"en digest", en, messagetest.Digest(3), "Quality announcements (3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Title(tt.alerts...); got != tt.want {
				t.Errorf("Title = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderLocales(t *testing.T) {
	tests := []struct {
		name     string
		locale   string
		markdown bool
		alerts   []alert.Alert
		want     []string
	}{
		{"zh text", "zh", false, messagetest.Digest(1), []string{
			"质量预警：潍坊市市场监管局发布第1期食品安全抽检信息\n", "链接：https://news.example.org/weifang/1.html",
			"来源：weifang-news", "地区：潍坊、山东省", "类别：抽检、召回", "评分：0.93", "命中词：抽检、不合格", "本期共抽检食品 320 批次"}},
		{"en text", "en", false, messagetest.Digest(1), []string{
			"Quality alert: 潍坊市", "Link: https://news.example.org/weifang/1.html", "Source: weifang-news",
			"Regions: Weifang, Shandong Province", "Categories: Sampling inspection, Recall", "Score: 0.93"}},
		{"zh digest text", "zh", false, messagetest.Digest(3), []string{
			"质量公告汇总（3 条）", "1. 潍坊市市场监管局发布第1期", "3. 潍坊市市场监管局发布第3期", "地区：潍坊、山东省"}},
		{"zh markdown", "zh", true, messagetest.Digest(1), []string{
			"### 质量预警：[潍坊市市场监管局发布第1期食品安全抽检信息](https://news.example.org/weifang/1.html)",
			"- **地区**：潍坊、山东省", "- **类别**：抽检、召回", "> 本期共抽检食品"}},
		{"en digest markdown", "en", true, messagetest.Digest(2), []string{
			"### Quality announcements (2)", "**2. [潍坊市市场监管局发布第2期食品安全抽检信息](https://news.example.org/weifang/2.html)**",
			"Weifang, Shandong Province · Sampling inspection, Recall · Score 0.93"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRenderer(t, message.Options{Locale: tt.locale})
			got, err := r.Render(message.Format{Markdown: tt.markdown}, tt.alerts...)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("body lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestMarkdownNeutralisesFeedText(t *testing.T) {
	r := newRenderer(t, message.Options{})
	got, err := r.Markdown(0, messagetest.Hostile())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"[x]", "](http://evil)", "<at", "@all", "<script>", "<@U123>", "*bold*", "|b>c)"} {
		if strings.Contains(got, bad) {
			t.Errorf("markdown body contains %q:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "(https://news.example.org/a%7Cb%3Ec%29%28x)") {
		t.Errorf("link not percent-encoded:\n%s", got)
	}
}

func TestRenderLimits(t *testing.T) {
	r := newRenderer(t, message.Options{})
	tests := []struct {
		name     string
		format   message.Format
		alerts   []alert.Alert
		wantMore string
	}{
		{"wecom bytes digest", message.Format{Markdown: true, MaxBytes: 4096}, messagetest.Digest(120), "……另有 "},
		{"runes digest", message.Format{MaxRunes: 3000}, messagetest.Digest(120), "……另有 "},
		{"single alert cut", message.Format{MaxBytes: 100}, messagetest.Digest(1), "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Render(tt.format, tt.alerts...)
			if err != nil {
				t.Fatal(err)
			}
			if tt.format.MaxBytes > 0 && len(got) > tt.format.MaxBytes {
				t.Errorf("%d bytes, limit %d", len(got), tt.format.MaxBytes)
			}
			if tt.format.MaxRunes > 0 && len([]rune(got)) > tt.format.MaxRunes {
				t.Errorf("%d runes, limit %d", len([]rune(got)), tt.format.MaxRunes)
			}
			if !strings.Contains(got, tt.wantMore) {
				t.Errorf("body lacks %q:\n%s", tt.wantMore, got)
			}
		})
	}
}

func writeTemplate(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "body.tmpl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUserTemplate(t *testing.T) {
	path := writeTemplate(t, `{{if .Digest}}{{.Count}} 条{{else}}{{with index .Alerts 0}}【{{join .Regions "/"}}】{{.Title}} {{.Link}} {{truncate 4 .Summary}}{{end}}{{end}}`)
	r := newRenderer(t, message.Options{TemplateFile: path})
	if !r.HasTemplate() {
		t.Fatal("HasTemplate() = false")
	}
	a := messagetest.Alert(1)
	a.Title = "标题 [x](http://evil)"
	tests := []struct {
		name   string
		format message.Format
		alerts []alert.Alert
		want   string
	}{
		{"text", message.Format{}, []alert.Alert{a}, "【潍坊/山东省】标题 [x](http://evil) https://news.example.org/weifang/1.html 本期共…"},
		{"markdown escapes feed text", message.Format{Markdown: true}, []alert.Alert{a}, "【潍坊/山东省】标题 ［x］（http://evil） https://news.example.org/weifang/1.html 本期共…"},
		{"custom escaper", message.Format{Escape: strings.ToUpper}, []alert.Alert{a}, "【潍坊/山东省】标题 [X](HTTP://EVIL) https://news.example.org/weifang/1.html 本期共…"},
		{"digest", message.Format{}, messagetest.Digest(5), "5 条"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Render(tt.format, tt.alerts...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewRendererErrors(t *testing.T) {
	tests := []struct {
		name string
		opts message.Options
		want string
	}{
		{"bad locale", message.Options{Locale: "fr"}, `locale "fr"`},
		{"missing file", message.Options{TemplateFile: filepath.Join(t.TempDir(), "nope.tmpl")}, "nope.tmpl"},
		{"parse error", message.Options{TemplateFile: writeTemplate(t, "{{if .Digest}}")}, "body.tmpl"},
		{"unknown field", message.Options{TemplateFile: writeTemplate(t, "{{.Nope}}")}, "can't evaluate field Nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := message.NewRenderer(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewRenderer error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRenderNoAlerts(t *testing.T) {
	r := newRenderer(t, message.Options{})
	if _, err := r.Text(); err == nil {
		t.Error("Text() with no alerts: want an error")
	}
}

func TestTimesShownInTheReadersZone(t *testing.T) {
	a := messagetest.Alert(1)
	a.Published = "2024-10-08T01:00:00Z"
	for _, tt := range []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"default is China time", nil, "2024-10-08 09:00"},
		{"configured zone", time.UTC, "2024-10-08 01:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := message.NewRenderer(message.Options{Location: tt.loc})
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Data(message.OneLine, a).Alerts[0].Published; got != tt.want {
				t.Fatalf("published shown as %q, want %q", got, tt.want)
			}
		})
	}
}
