package console_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/console"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func newNotifier(t *testing.T, w *bytes.Buffer, locale string) *console.Notifier {
	t.Helper()
	r, err := message.NewRenderer(message.Options{Locale: locale})
	if err != nil {
		t.Fatal(err)
	}
	n, err := console.New(console.Config{Writer: w, Renderer: r})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPrints(t *testing.T) {
	tests := []struct {
		name   string
		locale string
		alerts []alert.Alert
		want   []string
	}{
		{"zh single", "zh", messagetest.Digest(1), []string{
			"质量预警：潍坊市市场监管局发布第1期食品安全抽检信息\n", "链接：https://news.example.org/weifang/1.html\n",
			"来源：weifang-news\n", "地区：潍坊、山东省\n", "类别：抽检、召回\n", "评分：0.93\n", "命中词：抽检、不合格\n", "本期共抽检食品 320 批次"}},
		{"en single", "en", messagetest.Digest(1), []string{
			"Quality alert: ", "Source: weifang-news\n", "Regions: Weifang, Shandong Province\n", "Score: 0.93\n", "Matched terms: 抽检, 不合格\n"}},
		{"zh digest prints all", "zh", messagetest.Digest(30), []string{"质量公告汇总（30 条）", "1. 潍坊市市场监管局发布第1期", "30. 潍坊市市场监管局发布第30期"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := newNotifier(t, &out, tt.locale).Notify(t.Context(), tt.alerts...); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			if !strings.HasSuffix(got, "─\n") {
				t.Errorf("output does not end with a separator:\n%s", got)
			}
		})
	}
}

func TestDropsTerminalEscapes(t *testing.T) {
	a := messagetest.Alert(1)
	a.Title = "抽检\x1b[2J\x1b]0;pwned\x07结果\u202e"
	var out bytes.Buffer
	if err := newNotifier(t, &out, "zh").Notify(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Errorf("output keeps control characters: %q", out.String())
	}
	if !strings.Contains(out.String(), "抽检[2J]0;pwned结果") {
		t.Errorf("title mangled: %q", out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorIsTransient(t *testing.T) {
	n, err := console.New(console.Config{Writer: failingWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(t.Context(), messagetest.Alert(1))
	if err == nil || notifier.IsPermanent(err) || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Notify = %v, want a transient write error", err)
	}
}

func TestConcurrentMessagesDoNotInterleave(t *testing.T) {
	var out bytes.Buffer
	n := newNotifier(t, &out, "zh")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if err := n.Notify(t.Context(), messagetest.Alert(i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, msg := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "─\n") {
		if msg != "" && strings.Count(msg, "质量预警：") > 1 {
			t.Errorf("interleaved output:\n%s", msg)
		}
	}
	if got := strings.Count(out.String(), "质量预警："); got != 8 {
		t.Errorf("%d messages printed, want 8", got)
	}
}

func TestNewNeedsWriter(t *testing.T) {
	if _, err := console.New(console.Config{}); err == nil {
		t.Error("New without a writer: want an error")
	}
}
