package feishu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/feishu"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

const (
	hookToken = "2f8e3b6a-0000-4c1d-9e2f-TOKEN0123456789"
	secret    = "feishu-sign-secret-0123456789"
)

// body is the wire format as the test reads it back.
type body struct {
	Timestamp string `json:"timestamp"`
	Sign      string `json:"sign"`
	MsgType   string `json:"msg_type"`
	Card      struct {
		Config struct {
			WideScreenMode bool `json:"wide_screen_mode"`
		} `json:"config"`
		Header struct {
			Template string `json:"template"`
			Title    struct {
				Tag     string `json:"tag"`
				Content string `json:"content"`
			} `json:"title"`
		} `json:"header"`
		Elements []struct {
			Tag  string `json:"tag"`
			Text *struct {
				Tag     string `json:"tag"`
				Content string `json:"content"`
			} `json:"text"`
			Actions []struct {
				Tag  string `json:"tag"`
				Type string `json:"type"`
				URL  string `json:"url"`
				Text struct {
					Tag     string `json:"tag"`
					Content string `json:"content"`
				} `json:"text"`
			} `json:"actions"`
		} `json:"elements"`
	} `json:"card"`
}

func (b body) content() string { return b.Card.Elements[0].Text.Content }

// bot is a fake Feishu custom bot.
func bot(t *testing.T, status int, header http.Header, answer string) (*httptest.Server, <-chan body) {
	t.Helper()
	got := make(chan body, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b body
		raw, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/open-apis/bot/v2/hook/"+hookToken || json.Unmarshal(raw, &b) != nil {
			http.Error(w, "bad request", http.StatusTeapot)
			return
		}
		got <- b
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func newNotifier(t *testing.T, srv *httptest.Server, cfg feishu.Config) *feishu.Notifier {
	t.Helper()
	cfg.WebhookURL = srv.URL + "/open-apis/bot/v2/hook/" + hookToken
	n, err := feishu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, cfg feishu.Config, alerts ...alert.Alert) body {
	t.Helper()
	srv, got := bot(t, 200, nil, `{"code":0,"msg":"success","data":{}}`)
	if err := newNotifier(t, srv, cfg).Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return <-got
}

func TestCardWireFormat(t *testing.T) {
	b := send(t, feishu.Config{}, messagetest.Alert(1))
	if b.MsgType != "interactive" || b.Timestamp != "" || b.Sign != "" {
		t.Errorf("msg_type %q timestamp %q sign %q", b.MsgType, b.Timestamp, b.Sign)
	}
	h := b.Card.Header
	if h.Title.Tag != "plain_text" || h.Title.Content != "质量预警：潍坊市市场监管局发布第1期食品安全抽检信息" || h.Template != "red" || !b.Card.Config.WideScreenMode {
		t.Errorf("header = %+v", b.Card)
	}
	if len(b.Card.Elements) != 2 {
		t.Fatalf("elements = %+v, want a div and an action", b.Card.Elements)
	}
	div := b.Card.Elements[0]
	want := "**来源**：weifang-news\n**发布时间**：2024-10-08 09:00\n**地区**：潍坊、山东省\n**类别**：抽检、召回\n**评分**：0.93\n**命中词**：抽检、不合格\n\n本期共抽检食品"
	if div.Tag != "div" || div.Text.Tag != "lark_md" || !strings.HasPrefix(div.Text.Content, want) {
		t.Errorf("div = %+v, want content starting %q", div, want)
	}
	act := b.Card.Elements[1]
	if act.Tag != "action" || len(act.Actions) != 1 {
		t.Fatalf("action = %+v", act)
	}
	if btn := act.Actions[0]; btn.Tag != "button" || btn.Type != "primary" || btn.URL != "https://news.example.org/weifang/1.html" || btn.Text.Content != "查看原文" {
		t.Errorf("button = %+v", btn)
	}
}

func TestSignature(t *testing.T) {
	now := time.Unix(1740817800, 0)
	b := send(t, feishu.Config{Secret: secret, Now: func() time.Time { return now }}, messagetest.Alert(1))
	if b.Timestamp != "1740817800" {
		t.Errorf("timestamp %q, want seconds", b.Timestamp)
	}
	mac := hmac.New(sha256.New, []byte(b.Timestamp+"\n"+secret))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); b.Sign != want {
		t.Errorf("sign %q, want %q", b.Sign, want)
	}
}

func TestDigest(t *testing.T) {
	tests := []struct {
		name     string
		alerts   []alert.Alert
		wantMore bool
	}{
		{"3 alerts", messagetest.Digest(3), false},
		{"120 alerts", messagetest.Digest(120), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := send(t, feishu.Config{}, tt.alerts...)
			c := b.content()
			if b.Card.Header.Template != "orange" || !strings.HasPrefix(b.Card.Header.Title.Content, "质量公告汇总（") {
				t.Errorf("header = %+v", b.Card.Header)
			}
			if len(b.Card.Elements) != 1 {
				t.Errorf("digest has %d elements, want the div only", len(b.Card.Elements))
			}
			if !strings.Contains(c, "**1. [潍坊市市场监管局发布第1期食品安全抽检信息](https://news.example.org/weifang/1.html)**\nweifang-news · 潍坊、山东省 · 抽检、召回 · 评分 0.93") {
				t.Errorf("first entry missing:\n%.400s", c)
			}
			if len(c) > 12000 {
				t.Errorf("content of %d bytes", len(c))
			}
			if got := strings.Contains(c, "……另有 "); got != tt.wantMore {
				t.Errorf("says more: %v, want %v", got, tt.wantMore)
			}
		})
	}
}

func TestHostileTextIsNeutralised(t *testing.T) {
	for _, alerts := range [][]alert.Alert{{messagetest.Hostile()}, {messagetest.Hostile(), messagetest.Alert(2)}} {
		b := send(t, feishu.Config{}, alerts...)
		c := b.content()
		for _, bad := range []string{"<at", "[x](http://evil)", "@all", "<script>", "*bold*"} {
			if strings.Contains(c, bad) {
				t.Errorf("content contains %q:\n%s", bad, c)
			}
		}
		if len(alerts) == 1 && b.Card.Elements[1].Actions[0].URL != "https://news.example.org/a%7Cb%3Ec%29%28x" {
			t.Errorf("button URL %q not sanitised", b.Card.Elements[1].Actions[0].URL)
		}
	}
}

func TestEnglishTemplate(t *testing.T) {
	path := t.TempDir() + "/feishu.tmpl"
	if err := os.WriteFile(path, []byte(`{{range .Alerts}}**{{.Title}}** {{join .Categories "/"}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := message.NewRenderer(message.Options{Locale: "en", TemplateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	a := messagetest.Alert(1)
	a.Title = "Recall <at id=all></at>"
	b := send(t, feishu.Config{Renderer: r}, a)
	if want := "**Recall ＜at id=all＞＜/at＞** Sampling inspection/Recall"; b.content() != want {
		t.Errorf("content = %q, want %q", b.content(), want)
	}
	if b.Card.Elements[1].Actions[0].Text.Content != "Open" {
		t.Errorf("button text %q", b.Card.Elements[1].Actions[0].Text.Content)
	}
}
