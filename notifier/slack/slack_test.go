package slack_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
	"github.com/qualitywatch/qualitywatch/notifier/slack"
)

const secretPath = "/services/T00000000/B00000000/XXXXXXXXSECRETXXXXXXXX"

// payload is the wire format as the test reads it back.
type payload struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type     string       `json:"type"`
		Text     *textObject  `json:"text"`
		Fields   []textObject `json:"fields"`
		Elements []textObject `json:"elements"`
	} `json:"blocks"`
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// fakeSlack is an incoming webhook answering status and body, recording
// what it was sent.
type fakeSlack struct {
	srv      *httptest.Server
	requests chan payload
}

func newFakeSlack(t *testing.T, status int, header http.Header, body string) *fakeSlack {
	t.Helper()
	f := &fakeSlack{requests: make(chan payload, 1)}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != secretPath || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var p payload
		if err := json.Unmarshal(raw, &p); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		f.requests <- p
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func newNotifier(t *testing.T, url string, opts message.Options) *slack.Notifier {
	t.Helper()
	r, err := message.NewRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	n, err := slack.New(slack.Config{WebhookURL: url, Renderer: r})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func send(t *testing.T, opts message.Options, alerts ...alert.Alert) payload {
	t.Helper()
	f := newFakeSlack(t, 200, nil, "ok")
	if err := newNotifier(t, f.srv.URL+secretPath, opts).Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return <-f.requests
}

func TestNotifySingleAlertWireFormat(t *testing.T) {
	p := send(t, message.Options{}, messagetest.Alert(1))
	if want := "质量预警：潍坊市市场监管局发布第1期食品安全抽检信息"; p.Text != want {
		t.Errorf("text = %q, want %q", p.Text, want)
	}
	if len(p.Blocks) != 3 {
		t.Fatalf("%d blocks, want header, facts, summary: %+v", len(p.Blocks), p.Blocks)
	}
	if b := p.Blocks[0]; b.Type != "header" || b.Text.Type != "plain_text" || b.Text.Text != "质量预警" {
		t.Errorf("header block = %+v", b)
	}
	facts := p.Blocks[1]
	if want := "*<https://news.example.org/weifang/1.html|潍坊市市场监管局发布第1期食品安全抽检信息>*"; facts.Type != "section" || facts.Text.Type != "mrkdwn" || facts.Text.Text != want {
		t.Errorf("title section = %+v, want text %q", facts, want)
	}
	wantFields := []string{"*来源*\nweifang-news", "*地区*\n潍坊、山东省", "*类别*\n抽检、召回", "*评分*\n0.93", "*命中词*\n抽检、不合格", "*发布时间*\n2024-10-08 09:00"}
	if len(facts.Fields) != len(wantFields) {
		t.Fatalf("fields = %+v, want %q", facts.Fields, wantFields)
	}
	for i, w := range wantFields {
		if f := facts.Fields[i]; f.Type != "mrkdwn" || f.Text != w {
			t.Errorf("field %d = %+v, want %q", i, f, w)
		}
	}
	if s := p.Blocks[2]; s.Type != "section" || !strings.HasPrefix(s.Text.Text, "本期共抽检食品 320 批次") {
		t.Errorf("summary block = %+v", s)
	}
}

func TestNotifyEnglish(t *testing.T) {
	p := send(t, message.Options{Locale: "en"}, messagetest.Alert(1))
	if !strings.HasPrefix(p.Text, "Quality alert: ") || p.Blocks[0].Text.Text != "Quality alert" {
		t.Errorf("text %q, header %q", p.Text, p.Blocks[0].Text.Text)
	}
	if got := p.Blocks[1].Fields[1].Text; got != "*Regions*\nWeifang, Shandong Province" {
		t.Errorf("regions field = %q", got)
	}
}

func TestNotifyUserTemplate(t *testing.T) {
	path := t.TempDir() + "/slack.tmpl"
	src := `{{range .Alerts}}:rotating_light: {{.Title}} ({{join .Regions ","}}){{end}}`
	if err := writeFile(path, src); err != nil {
		t.Fatal(err)
	}
	a := messagetest.Alert(1)
	a.Title = "<!channel> 抽检"
	p := send(t, message.Options{TemplateFile: path}, a)
	if len(p.Blocks) != 2 {
		t.Fatalf("blocks = %+v", p.Blocks)
	}
	if got, want := p.Blocks[1].Text.Text, ":rotating_light: &lt;!channel&gt; 抽检 (潍坊,山东省)"; got != want {
		t.Errorf("templated section = %q, want %q", got, want)
	}
}

func TestNotifyClassifiesResponses(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         http.Header
		body           string
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{"200 ok", 200, nil, "ok", false, false, 0},
		{"429 rate limited", 429, http.Header{"Retry-After": {"30"}}, "rate_limited", true, false, 30 * time.Second},
		{"500", 500, nil, "internal_error", true, false, 0},
		{"503", 503, nil, "service_unavailable", true, false, 0},
		{"400 invalid_payload", 400, nil, "invalid_payload", true, true, 0},
		{"403 action_prohibited", 403, nil, "action_prohibited", true, true, 0},
		{"404 no_service", 404, nil, "no_service", true, true, 0},
		{"410 channel_is_archived", 410, nil, "channel_is_archived", true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, tt.status, tt.header, tt.body)
			err := newNotifier(t, f.srv.URL+secretPath, message.Options{}).Notify(t.Context(), messagetest.Alert(1))
			checkErr(t, err, tt.wantErr, tt.wantPermanent, tt.wantRetryAfter)
			if err != nil && !strings.Contains(err.Error(), tt.body) {
				t.Errorf("error %q lacks Slack's answer %q", err, tt.body)
			}
		})
	}
	t.Run("network error", func(t *testing.T) {
		f := newFakeSlack(t, 200, nil, "ok")
		f.srv.Close()
		err := newNotifier(t, f.srv.URL+secretPath, message.Options{}).Notify(t.Context(), messagetest.Alert(1))
		checkErr(t, err, true, false, 0)
	})
}

func checkErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration) {
	t.Helper()
	messagetest.CheckErr(t, err, wantErr, wantPermanent, wantRetryAfter, "SECRET", secretPath)
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, url := range []string{"", "hooks.slack.com" + secretPath, "ftp://hooks.slack.com" + secretPath} {
		_, err := slack.New(slack.Config{WebhookURL: url})
		if err == nil {
			t.Errorf("New(%q): want an error", url)
		} else if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New error leaks the URL: %v", err)
		}
	}
}

func TestStringIsRedacted(t *testing.T) {
	n := newNotifier(t, "https://hooks.slack.com"+secretPath, message.Options{})
	if got := n.String(); got != "slack https://hooks.slack.com" {
		t.Errorf("String() = %q", got)
	}
}

func TestNotifyNothing(t *testing.T) {
	n := newNotifier(t, "http://127.0.0.1:1"+secretPath, message.Options{})
	if err := n.Notify(t.Context()); err != nil {
		t.Errorf("Notify() with no alerts = %v, want nil", err)
	}
}
