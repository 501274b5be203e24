package dingtalk_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/dingtalk"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

const (
	accessToken = "0123456789abcdef0123456789abcdefTOKEN"
	secret      = "SEC0123456789abcdef0123456789abcdef0123456789abcdef"
)

// received is one request to the fake robot.
type received struct {
	query    url.Values
	rawQuery string
	body     struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
		At json.RawMessage `json:"at"`
	}
}

// robot is a fake DingTalk robot answering status and body.
func robot(t *testing.T, status int, header http.Header, answer string) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rcv received
		raw, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/robot/send" || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(raw, &rcv.body) != nil {
			http.Error(w, "bad request", http.StatusTeapot)
			return
		}
		rcv.query, rcv.rawQuery = r.URL.Query(), r.URL.RawQuery
		got <- rcv
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func newNotifier(t *testing.T, srv *httptest.Server, cfg dingtalk.Config) *dingtalk.Notifier {
	t.Helper()
	cfg.WebhookURL = srv.URL + "/robot/send?access_token=" + accessToken
	n, err := dingtalk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, cfg dingtalk.Config, alerts ...alert.Alert) received {
	t.Helper()
	srv, got := robot(t, 200, nil, `{"errcode":0,"errmsg":"ok"}`)
	if err := newNotifier(t, srv, cfg).Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return <-got
}

func TestMarkdownWireFormat(t *testing.T) {
	rcv := send(t, dingtalk.Config{}, messagetest.Alert(1))
	if rcv.body.MsgType != "markdown" {
		t.Errorf("msgtype %q", rcv.body.MsgType)
	}
	if want := "质量预警：潍坊市市场监管局发布第1期食品安全抽检信息"; rcv.body.Markdown.Title != want {
		t.Errorf("title %q, want %q", rcv.body.Markdown.Title, want)
	}
	for _, w := range []string{"### 质量预警：[潍坊市市场监管局发布第1期食品安全抽检信息](https://news.example.org/weifang/1.html)", "- **地区**：潍坊、山东省", "> 本期共抽检食品"} {
		if !strings.Contains(rcv.body.Markdown.Text, w) {
			t.Errorf("text lacks %q:\n%s", w, rcv.body.Markdown.Text)
		}
	}
	if rcv.body.At != nil {
		t.Errorf("message carries at = %s; alerts never mention anyone", rcv.body.At)
	}
	if rcv.query.Get("access_token") != accessToken || rcv.query.Has("sign") || rcv.query.Has("timestamp") {
		t.Errorf("query %v: want the access token only", rcv.query)
	}
}

func TestEnglish(t *testing.T) {
	r, err := message.NewRenderer(message.Options{Locale: "en"})
	if err != nil {
		t.Fatal(err)
	}
	rcv := send(t, dingtalk.Config{Renderer: r}, messagetest.Alert(1))
	if !strings.HasPrefix(rcv.body.Markdown.Title, "Quality alert: ") || !strings.Contains(rcv.body.Markdown.Text, "- **Regions**: Weifang, Shandong Province") {
		t.Errorf("not English: %+v", rcv.body.Markdown)
	}
}

func TestSignature(t *testing.T) {
	now := time.Date(2025, 3, 1, 8, 30, 0, 123e6, time.UTC)
	rcv := send(t, dingtalk.Config{Secret: secret, Now: func() time.Time { return now }}, messagetest.Alert(1))
	ts := "1740817800123"
	if got := rcv.query.Get("timestamp"); got != ts {
		t.Errorf("timestamp %q, want %q (ms)", got, ts)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := rcv.query.Get("sign"); got != want {
		t.Errorf("sign %q, want %q", got, want)
	}
	if !strings.Contains(rcv.rawQuery, "sign="+url.QueryEscape(want)) {
		t.Errorf("sign not URL-encoded in %q", rcv.rawQuery)
	}
	if rcv.query.Get("access_token") != accessToken {
		t.Errorf("access_token lost: %v", rcv.query)
	}
}

func TestHostileTextIsNeutralised(t *testing.T) {
	rcv := send(t, dingtalk.Config{}, messagetest.Hostile(), messagetest.Alert(2))
	text := rcv.body.Markdown.Text
	for _, bad := range []string{"[x](http://evil)", "](http://evil", "@all", "<at", "<script>", "*bold*", "<@U123>"} {
		if strings.Contains(text, bad) {
			t.Errorf("text contains %q:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "(https://news.example.org/a%7Cb%3Ec%29%28x)") {
		t.Errorf("item link not sanitised:\n%s", text)
	}
}

func TestDigestWithinLimit(t *testing.T) {
	rcv := send(t, dingtalk.Config{}, messagetest.Digest(120)...)
	text := rcv.body.Markdown.Text
	if len(text) > 15000 {
		t.Errorf("text of %d bytes", len(text))
	}
	if rcv.body.Markdown.Title != "质量公告汇总（120 条）" || !strings.Contains(text, "……另有 ") {
		t.Errorf("title %q; text ends %q", rcv.body.Markdown.Title, text[len(text)-80:])
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
		{"send too fast", 200, nil, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, true, false, time.Minute},
		{"flow limited", 200, nil, `{"errcode":410100,"errmsg":"发送速度太快而限流"}`, true, false, time.Minute},
		{"system busy", 200, nil, `{"errcode":-1,"errmsg":"系统繁忙"}`, true, false, 0},
		{"sign not match", 200, nil, `{"errcode":310000,"errmsg":"sign not match"}`, true, true, 0},
		{"keywords not in content", 200, nil, `{"errcode":310000,"errmsg":"keywords not in content"}`, true, true, 0},
		{"token missing", 200, nil, `{"errcode":300001,"errmsg":"token is not exist"}`, true, true, 0},
		{"robot stopped", 200, nil, `{"errcode":400102,"errmsg":"机器人已停用"}`, true, true, 0},
		{"not json", 200, nil, `<html>gateway</html>`, true, false, 0},
		{"429", 429, http.Header{"Retry-After": {"5"}}, ``, true, false, 5 * time.Second},
		{"500", 500, nil, `oops`, true, false, 0},
		{"400", 400, nil, `bad`, true, true, 0},
		{"404", 404, nil, ``, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := robot(t, tt.status, tt.header, tt.answer)
			err := newNotifier(t, srv, dingtalk.Config{Secret: secret}).Notify(t.Context(), messagetest.Alert(1))
			checkErr(t, err, tt.wantErr, tt.wantPermanent, tt.wantRetryAfter)
			if err != nil && strings.Contains(tt.answer, "errmsg") {
				var a struct{ ErrMsg string }
				json.Unmarshal([]byte(tt.answer), &a)
				if !strings.Contains(err.Error(), a.ErrMsg) {
					t.Errorf("error %q lacks errmsg %q", err, a.ErrMsg)
				}
			}
		})
	}
	t.Run("network error", func(t *testing.T) {
		srv, _ := robot(t, 200, nil, "")
		n := newNotifier(t, srv, dingtalk.Config{})
		srv.Close()
		checkErr(t, n.Notify(t.Context(), messagetest.Alert(1)), true, false, 0)
	})
}

func checkErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration) {
	t.Helper()
	messagetest.CheckErr(t, err, wantErr, wantPermanent, wantRetryAfter, accessToken, secret)
}

func TestNewAndString(t *testing.T) {
	if _, err := dingtalk.New(dingtalk.Config{WebhookURL: "oapi.dingtalk.com/robot/send?access_token=" + accessToken}); err == nil || strings.Contains(err.Error(), accessToken) {
		t.Errorf("New(bad url) = %v, want an error without the token", err)
	}
	n, err := dingtalk.New(dingtalk.Config{WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=" + accessToken, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.String(); got != "dingtalk https://oapi.dingtalk.com" {
		t.Errorf("String() = %q", got)
	}
}
