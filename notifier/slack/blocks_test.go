package slack_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
	"github.com/qualitywatch/qualitywatch/notifier/slack"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

// texts returns every piece of text Slack will parse in p.
func texts(p payload) []string {
	out := []string{p.Text}
	for _, b := range p.Blocks {
		if b.Text != nil {
			out = append(out, b.Text.Text)
		}
		for _, f := range append(b.Fields, b.Elements...) {
			out = append(out, f.Text)
		}
	}
	return out
}

var controlSequence = regexp.MustCompile(`<[^>]*>`)

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel>", "&lt;!channel&gt;"},
		{"<https://evil.example|点击>", "&lt;https://evil.example|点击&gt;"},
		{"A & B", "A &amp; B"},
		{"&lt;", "&amp;lt;"},
		{"抽检", "抽检"},
	}
	for _, tt := range tests {
		if got := slack.Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHostileFeedTextIsInert(t *testing.T) {
	tests := []struct {
		name   string
		alerts []alert.Alert
	}{
		{"single", []alert.Alert{messagetest.Hostile()}},
		{"digest", []alert.Alert{messagetest.Hostile(), messagetest.Alert(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := send(t, message.Options{}, tt.alerts...)
			all := strings.Join(texts(p), "\n")
			for _, bad := range []string{"<!channel>", "<!here>", "<!everyone>", "<@U123>", "<https://evil.example", "<script>", "<img"} {
				if strings.Contains(all, bad) {
					t.Errorf("message contains %q", bad)
				}
			}
			if !strings.Contains(all, "&lt;!channel&gt;") || !strings.Contains(all, "evil &lt;!here&gt; &amp; co") {
				t.Errorf("escaped hostile text missing:\n%s", all)
			}
			// The only control sequence left is the sanitised link to the item.
			for _, seq := range controlSequence.FindAllString(all, -1) {
				if !strings.HasPrefix(seq, "<https://news.example.org/") {
					t.Errorf("unexpected control sequence %q", seq)
				}
				if strings.HasPrefix(seq, "<https://news.example.org/a") && !strings.HasPrefix(seq, "<https://news.example.org/a%7Cb%3Ec%29%28x|") {
					t.Errorf("link not sanitised: %q", seq)
				}
			}
		})
	}
}

func TestUnsafeLinkIsDropped(t *testing.T) {
	a := messagetest.Alert(1)
	a.Link = "javascript:alert(1)"
	p := send(t, message.Options{}, a)
	if got := p.Blocks[1].Text.Text; got != "*潍坊市市场监管局发布第1期食品安全抽检信息*" {
		t.Errorf("title section = %q, want the title unlinked", got)
	}
}

func TestDigestStaysWithinBlockKitLimits(t *testing.T) {
	long := messagetest.Digest(120)
	for i := range long {
		long[i].Title = strings.Repeat("<质量>&", 1000)
		long[i].Summary = strings.Repeat("抽检<b>", 2000)
	}
	tests := []struct {
		name   string
		alerts []alert.Alert
	}{
		{"120 ordinary alerts", messagetest.Digest(120)},
		{"120 huge hostile alerts", long},
		{"3 alerts", messagetest.Digest(3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := send(t, message.Options{}, tt.alerts...)
			if len(p.Blocks) > 50 {
				t.Errorf("%d blocks, limit 50", len(p.Blocks))
			}
			if h := p.Blocks[0]; h.Type != "header" || h.Text.Text != fmt.Sprintf("质量公告汇总（%d 条）", len(tt.alerts)) {
				t.Errorf("header = %+v", h)
			}
			total, shown := 0, 0
			for _, b := range p.Blocks {
				if b.Text == nil && len(b.Elements) == 0 {
					continue
				}
				s := ""
				if b.Text != nil {
					s = b.Text.Text
				} else {
					s = b.Elements[0].Text
				}
				n := utf8.RuneCountInString(s)
				total += n
				if b.Type == "header" && n > 150 || n > 3000 {
					t.Errorf("%s block of %d characters", b.Type, n)
				}
				if b.Type == "section" {
					shown += len(regexp.MustCompile(`(?m)^\*\d+\. `).FindAllString(s, -1))
				}
			}
			if total > 12000 {
				t.Errorf("digest text totals %d characters", total)
			}
			more := 0
			if last := p.Blocks[len(p.Blocks)-1]; last.Type == "context" {
				fmt.Sscanf(strings.TrimPrefix(last.Elements[0].Text, "……另有 "), "%d", &more)
			}
			if shown == 0 || shown+more != len(tt.alerts) {
				t.Errorf("%d alerts shown + %d said to be more, want %d in all", shown, more, len(tt.alerts))
			}
		})
	}
}
