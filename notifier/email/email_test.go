package email_test

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/email"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func config(ts *testServer, mode string) email.Config {
	return email.Config{
		Host: ts.Host,
		Port: ts.Port,
		TLS:  mode,
		HELO: "qualitywatch.test",
		From: "质量监测 <qualitywatch@example.org>",
		To:   []string{"qa@example.org", "lead@example.org"},
	}
}

func newNotifier(t *testing.T, cfg email.Config) *email.Notifier {
	t.Helper()
	n, err := email.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

// deliver sends alerts through cfg and returns the one message received.
func deliver(t *testing.T, ts *testServer, cfg email.Config, alerts ...alert.Alert) (received, parsed) {
	t.Helper()
	before := len(ts.Messages())
	if err := newNotifier(t, cfg).Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	msgs := ts.Messages()
	if len(msgs) != before+1 {
		t.Fatalf("server holds %d messages, want %d", len(msgs), before+1)
	}
	return msgs[before], parse(t, msgs[before].Data)
}

func TestSendSingleAlert(t *testing.T) {
	ts := startServer(t, serverOptions{})
	a := messagetest.Alert(1)
	rcv, msg := deliver(t, ts, config(ts, email.TLSNone), a)
	if rcv.From != "qualitywatch@example.org" || strings.Join(rcv.To, ",") != "qa@example.org,lead@example.org" {
		t.Errorf("envelope from %q to %q", rcv.From, rcv.To)
	}
	if want := "质量预警：潍坊市市场监管局发布第1期食品安全抽检信息"; msg.Subj != want {
		t.Errorf("Subject = %q, want %q", msg.Subj, want)
	}
	if raw := msg.Header.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("raw Subject %q is not RFC 2047 encoded", raw)
	}
	if got, want := msg.Header.Get("Message-Id"), "<"+email.MessageID(a)+">"; got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if got := msg.Header.Get(email.AlertIDHeader); got != a.ID {
		t.Errorf("%s = %q, want %q", email.AlertIDHeader, got, a.ID)
	}
	for _, w := range []string{"链接：https://news.example.org/weifang/1.html", "地区：潍坊、山东省", "类别：抽检、召回", "本期共抽检食品"} {
		if !strings.Contains(msg.Text, w) {
			t.Errorf("text part lacks %q:\n%s", w, msg.Text)
		}
	}
	for _, w := range []string{`<a href="https://news.example.org/weifang/1.html">潍坊市市场监管局发布第1期食品安全抽检信息</a>`, "<td>潍坊、山东省</td>", `<html lang="zh">`} {
		if !strings.Contains(msg.HTML, w) {
			t.Errorf("HTML part lacks %q:\n%s", w, msg.HTML)
		}
	}
	// A redelivery carries the same Message-ID.
	_, again := deliver(t, ts, config(ts, email.TLSNone), a)
	if again.Header.Get("Message-Id") != msg.Header.Get("Message-Id") {
		t.Errorf("redelivery Message-ID %q differs from %q", again.Header.Get("Message-Id"), msg.Header.Get("Message-Id"))
	}
}

func TestSendDigestAndEnglish(t *testing.T) {
	ts := startServer(t, serverOptions{})
	cfg := config(ts, email.TLSNone)
	r, err := message.NewRenderer(message.Options{Locale: "en"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Renderer = r
	alerts := messagetest.Digest(3)
	_, msg := deliver(t, ts, cfg, alerts...)
	if msg.Subj != "Quality announcements (3)" {
		t.Errorf("Subject = %q", msg.Subj)
	}
	if got, want := msg.Header.Get("Message-Id"), "<"+email.MessageID(alerts[2], alerts[0], alerts[1])+">"; got != want {
		t.Errorf("digest Message-ID = %q, want %q (order-independent)", got, want)
	}
	if got, want := msg.Header.Get(email.AlertIDHeader), notifier.DedupKey(alerts...); got != want || !strings.HasPrefix(got, "digest:") {
		t.Errorf("digest %s = %q, want %q", email.AlertIDHeader, got, want)
	}
	for i := 1; i <= 3; i++ {
		if !strings.Contains(msg.HTML, "第"+string(rune('0'+i))+"期") || !strings.Contains(msg.Text, string(rune('0'+i))+". ") {
			t.Errorf("alert %d missing from a part", i)
		}
	}
	if !strings.Contains(msg.Text, "Regions: Weifang, Shandong Province") {
		t.Errorf("text part not in English:\n%s", msg.Text)
	}
}

func TestMessageID(t *testing.T) {
	a, b := messagetest.Alert(1), messagetest.Alert(2)
	tests := []struct {
		name   string
		x, y   []alert.Alert
		wantEq bool
	}{
		{"same alert", []alert.Alert{a}, []alert.Alert{a}, true},
		{"different alerts", []alert.Alert{a}, []alert.Alert{b}, false},
		{"digest order", []alert.Alert{a, b}, []alert.Alert{b, a}, true},
		{"digest vs single", []alert.Alert{a, b}, []alert.Alert{a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := email.MessageID(tt.x...), email.MessageID(tt.y...)
			if (x == y) != tt.wantEq {
				t.Errorf("MessageID %q vs %q: equal %v, want %v", x, y, x == y, tt.wantEq)
			}
			if len(x) != len("@qualitywatch")+32 || !strings.HasSuffix(x, "@qualitywatch") {
				t.Errorf("MessageID %q: want 32 hex digits @qualitywatch", x)
			}
		})
	}
}

func TestHTMLEscapesHostileText(t *testing.T) {
	ts := startServer(t, serverOptions{})
	_, msg := deliver(t, ts, config(ts, email.TLSNone), messagetest.Hostile())
	for _, bad := range []string{"<script>", "<!channel>", "<img", "<!here>", `href="https://evil`, "<at id"} {
		if strings.Contains(msg.HTML, bad) {
			t.Errorf("HTML part contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;!channel&gt;", `href="https://news.example.org/a%7Cb%3Ec%29%28x"`} {
		if !strings.Contains(msg.HTML, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, msg.HTML)
		}
	}
	if !strings.Contains(msg.Subj, "<script>alert(1)</script>") {
		t.Errorf("Subject %q: plain text should carry the title as is", msg.Subj)
	}
}

func TestUserTemplate(t *testing.T) {
	path := t.TempDir() + "/mail.tmpl"
	if err := writeFile(path, `{{range .Alerts}}* {{.Title}} <{{.Link}}>{{"\n"}}{{end}}`); err != nil {
		t.Fatal(err)
	}
	r, err := message.NewRenderer(message.Options{TemplateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, serverOptions{})
	cfg := config(ts, email.TLSNone)
	cfg.Renderer = r
	a := messagetest.Alert(1)
	a.Title = "<b>抽检</b>"
	_, msg := deliver(t, ts, cfg, a)
	if want := "* <b>抽检</b> <https://news.example.org/weifang/1.html>\n"; msg.Text != want {
		t.Errorf("text part = %q, want %q", msg.Text, want)
	}
	if !strings.Contains(msg.HTML, "* &lt;b&gt;抽检&lt;/b&gt; &lt;https://news.example.org/weifang/1.html&gt;") {
		t.Errorf("HTML part does not wrap the escaped template output:\n%s", msg.HTML)
	}
}

func TestTransportSecurity(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	trusting := &tls.Config{RootCAs: roots}
	tests := []struct {
		name     string
		server   serverOptions
		mode     string
		auth     bool
		wantTLS  bool
		wantUser string
	}{
		{"plain", serverOptions{}, email.TLSNone, false, false, ""},
		{"auth plain to localhost", serverOptions{Auth: []string{"PLAIN"}}, email.TLSNone, true, false, testUser},
		{"auth login fallback", serverOptions{Auth: []string{"LOGIN"}}, email.TLSNone, true, false, testUser},
		{"starttls", serverOptions{TLS: serverTLS}, email.TLSStartTLS, false, true, ""},
		{"starttls with auth", serverOptions{TLS: serverTLS, Auth: []string{"PLAIN", "LOGIN"}}, email.TLSStartTLS, true, true, testUser},
		{"opportunistic offered", serverOptions{TLS: serverTLS}, email.TLSStartTLSOpportunistic, false, true, ""},
		{"opportunistic not offered", serverOptions{}, email.TLSStartTLSOpportunistic, false, false, ""},
		{"implicit tls", serverOptions{TLS: serverTLS, Implicit: true}, email.TLSImplicit, false, true, ""},
		{"implicit tls with auth", serverOptions{TLS: serverTLS, Implicit: true, Auth: []string{"PLAIN"}}, email.TLSImplicit, true, true, testUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.server)
			cfg := config(ts, tt.mode)
			cfg.TLSConfig = trusting
			if tt.auth {
				cfg.Username, cfg.Password = testUser, testPassword
			}
			rcv, msg := deliver(t, ts, cfg, messagetest.Alert(1))
			if rcv.TLS != tt.wantTLS {
				t.Errorf("session encrypted %v, want %v", rcv.TLS, tt.wantTLS)
			}
			if rcv.User != tt.wantUser {
				t.Errorf("authenticated as %q, want %q", rcv.User, tt.wantUser)
			}
			if msg.Subj == "" {
				t.Error("empty subject")
			}
		})
	}
}

func TestSendFailures(t *testing.T) {
	serverTLS, _ := selfSigned(t)
	tests := []struct {
		name          string
		server        serverOptions
		mode          string
		password      string
		wantPermanent bool
		wantStatus    int
	}{
		{"550 mailbox unavailable", serverOptions{RejectRcpt: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}}, email.TLSNone, "", true, 550},
		{"451 try again later", serverOptions{RejectData: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}}, email.TLSNone, "", false, 451},
		{"535 bad credentials", serverOptions{Auth: []string{"PLAIN"}}, email.TLSNone, "wrong-password", true, 535},
		{"starttls required but not offered", serverOptions{}, email.TLSStartTLS, "", false, 0},
		{"untrusted certificate", serverOptions{TLS: serverTLS}, email.TLSStartTLS, "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.server)
			cfg := config(ts, tt.mode)
			if tt.password != "" {
				cfg.Username, cfg.Password = testUser, tt.password
			}
			err := newNotifier(t, cfg).Notify(t.Context(), messagetest.Alert(1))
			if err == nil {
				t.Fatal("Notify succeeded, want an error")
			}
			if got := notifier.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			var nerr *notifier.Error
			if !errors.As(err, &nerr) || nerr.Status != tt.wantStatus {
				t.Errorf("error %v: want status %d", err, tt.wantStatus)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error leaks the password: %v", err)
			}
			if len(ts.Messages()) != 0 {
				t.Errorf("server accepted a message")
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		ts := startServer(t, serverOptions{})
		cfg := config(ts, email.TLSNone)
		cfg.Port = 1
		err := newNotifier(t, cfg).Notify(t.Context(), messagetest.Alert(1))
		if err == nil || notifier.IsPermanent(err) {
			t.Errorf("Notify = %v, want a transient error", err)
		}
	})
}
