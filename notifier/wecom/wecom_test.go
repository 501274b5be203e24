package wecom_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
	"github.com/qualitywatch/qualitywatch/notifier/wecom"
)

const key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa-SECRETKEY"

type body struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// robot is a fake WeCom group robot.
func robot(t *testing.T, status int, header http.Header, answer string) (*httptest.Server, <-chan body) {
	t.Helper()
	got := make(chan body, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b body
		raw, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != key || json.Unmarshal(raw, &b) != nil {
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

func newNotifier(t *testing.T, srv *httptest.Server, r *message.Renderer) *wecom.Notifier {
	t.Helper()
	n, err := wecom.New(wecom.Config{WebhookURL: srv.URL + "/cgi-bin/webhook/send?key=" + key, Renderer: r})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, r *message.Renderer, alerts ...alert.Alert) body {
	t.Helper()
	srv, got := robot(t, 200, nil, `{"errcode":0,"errmsg":"ok"}`)
	if err := newNotifier(t, srv, r).Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return <-got
}

func TestMarkdownWireFormat(t *testing.T) {
	b := send(t, nil, messagetest.Alert(1))
	if b.MsgType != "markdown" {
		t.Errorf("msgtype %q", b.MsgType)
	}
	for _, w := range []string{"### 质量预警：[潍坊市市场监管局发布第1期食品安全抽检信息](https://news.example.org/weifang/1.html)", "- **类别**：抽检、召回", "- **评分**：0.93"} {
		if !strings.Contains(b.Markdown.Content, w) {
			t.Errorf("content lacks %q:\n%s", w, b.Markdown.Content)
		}
	}
}

func TestContentLimits(t *testing.T) {
	huge := messagetest.Alert(1)
	huge.Summary = strings.Repeat("质量抽检", 3000)
	tests := []struct {
		name     string
		alerts   []alert.Alert
		wantMore bool
	}{
		{"digest of 120", messagetest.Digest(120), true},
		{"one huge alert", []alert.Alert{huge}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := send(t, nil, tt.alerts...).Markdown.Content
			if len(c) > 4096 || !utf8.ValidString(c) {
				t.Errorf("content of %d bytes (valid UTF-8 %v), limit 4096", len(c), utf8.ValidString(c))
			}
			if tt.wantMore && !strings.Contains(c, "……另有 ") {
				t.Errorf("digest does not say how many were left out:\n%s", c)
			}
		})
	}
}

func TestHostileTextIsNeutralised(t *testing.T) {
	c := send(t, nil, messagetest.Hostile()).Markdown.Content
	for _, bad := range []string{"[x](http://evil)", "<@U123>", "@all", "<font", "<script>", "<at"} {
		if strings.Contains(c, bad) {
			t.Errorf("content contains %q:\n%s", bad, c)
		}
	}
}

func TestEnglishAndTemplate(t *testing.T) {
	path := t.TempDir() + "/wecom.tmpl"
	if err := os.WriteFile(path, []byte(`{{.L.Alert}} {{range .Alerts}}<font color="warning">{{.Title}}</font>{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := message.NewRenderer(message.Options{Locale: "en", TemplateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	a := messagetest.Alert(1)
	a.Title = `Recall <font color="info">x</font>`
	got := send(t, r, a).Markdown.Content
	if want := `Quality alert <font color="warning">Recall ＜font color="info"＞x＜/font＞</font>`; got != want {
		t.Errorf("content = %q, want %q", got, want)
	}
}

func TestClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         http.Header
		answer         string
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{"ok", 200, nil, `{"errcode":0,"errmsg":"ok"}`, false, false, 0},
		{"api freq out of limit", 200, nil, `{"errcode":45009,"errmsg":"api freq out of limit"}`, true, false, time.Minute},
		{"system busy", 200, nil, `{"errcode":-1,"errmsg":"system busy"}`, true, false, 0},
		{"invalid webhook url", 200, nil, `{"errcode":93000,"errmsg":"invalid webhook url, hint: [1234], from ip: 1.2.3.4"}`, true, true, 0},
		{"content too long", 200, nil, `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`, true, true, 0},
		{"not json", 200, nil, `ok`, true, false, 0},
		{"429", 429, http.Header{"Retry-After": {"3"}}, ``, true, false, 3 * time.Second},
		{"500", 500, nil, ``, true, false, 0},
		{"400", 400, nil, ``, true, true, 0},
		{"404", 404, nil, ``, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := robot(t, tt.status, tt.header, tt.answer)
			checkErr(t, newNotifier(t, srv, nil).Notify(t.Context(), messagetest.Alert(1)), tt.wantErr, tt.wantPermanent, tt.wantRetryAfter)
		})
	}
	t.Run("network error", func(t *testing.T) {
		srv, _ := robot(t, 200, nil, "")
		n := newNotifier(t, srv, nil)
		srv.Close()
		checkErr(t, n.Notify(t.Context(), messagetest.Alert(1)), true, false, 0)
	})
}

func checkErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration) {
	t.Helper()
	messagetest.CheckErr(t, err, wantErr, wantPermanent, wantRetryAfter, key)
}

func TestNewAndString(t *testing.T) {
	if _, err := wecom.New(wecom.Config{WebhookURL: "key=" + key}); err == nil || strings.Contains(err.Error(), key) {
		t.Errorf("New(bad url) = %v, want an error without the key", err)
	}
	n, err := wecom.New(wecom.Config{WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + key})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.String(); got != "wecom https://qyapi.weixin.qq.com" {
		t.Errorf("String() = %q", got)
	}
}
