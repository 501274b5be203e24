package app_test

// The daemon in-process on its embedded NATS, one notifier of each type
// pointed at local receivers that verify formats and signatures, some of
// which fail for a while. Every receiver must get every alert its filter
// admits, exactly once, escaped; a digest notifier one message per window;
// a receiver that always answers 400 leaves its alerts in the dead-letter
// stream.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/internal/smtptest"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// receiver is a stand-in target that records accepted bodies. fail decides
// the answer to the n-th request (0-based); nil accepts.
type receiver struct {
	t      *testing.T
	name   string
	verify func(r *http.Request, body []byte) error
	fail   func(n int, w http.ResponseWriter) bool
	ok     string // body of a success answer

	mu       sync.Mutex
	n        int
	accepted []string
	srv      *httptest.Server
}

func newReceiver(t *testing.T, name, ok string, verify func(*http.Request, []byte) error, fail func(int, http.ResponseWriter) bool) *receiver {
	r := &receiver{t: t, name: name, ok: ok, verify: verify, fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := rc.n
	rc.n++
	rc.mu.Unlock()
	if rc.fail != nil && rc.fail(n, w) {
		return
	}
	if rc.verify != nil {
		if err := rc.verify(r, body); err != nil {
			rc.t.Errorf("%s: bad request: %v\n%s", rc.name, err, body)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	rc.mu.Lock()
	rc.accepted = append(rc.accepted, string(body))
	rc.mu.Unlock()
	_, _ = io.WriteString(w, rc.ok)
}

func (rc *receiver) bodies() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.accepted...)
}

func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// feed is a one-source RSS site the test adds items to.
type feed struct {
	mu    sync.Mutex
	items []string
	srv   *httptest.Server
}

func newFeed(t *testing.T) *feed {
	f := &feed{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link>`)
		for _, it := range f.items {
			fmt.Fprint(w, it)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feed) add(guid, title, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "<item><guid>%s</guid><title><![CDATA[%s]]></title><link>http://example.org/%s.html</link><description><![CDATA[%s]]></description></item>", guid, title, guid, text)
	f.items = append([]string{b.String()}, f.items...)
}

// addSentinel adds the sentinel's item: a weifang sampling notice, which
// every notifier's filter in these tests admits.
func (f *feed) addSentinel() {
	f.add(sentinel, "潍坊市市场监管局关于2026年儿童玩具产品质量监督抽查结果的通告", "抽查儿童玩具产品60批次，不合格4批次。")
}

func TestEveryChannelGetsWhatItsFilterAdmitsExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	src := newFeed(t)
	src.add("old", "青岛市市场监管局发布产品质量监督抽查结果", "抽查产品100批次，不合格5批次。") // baseline: never alerts

	jsonOK := func(*http.Request, []byte) error { return nil }
	// Slack: 500 twice, then fine. Hostile titles must arrive inert.
	slack := newReceiver(t, "slack", "ok", func(_ *http.Request, b []byte) error {
		if bytes.Contains(b, []byte("<!channel>")) || bytes.Contains(b, []byte("<https://evil.example")) {
			return fmt.Errorf("unescaped mrkdwn")
		}
		var m struct{ Blocks []json.RawMessage }
		if err := json.Unmarshal(b, &m); err != nil || len(m.Blocks) == 0 {
			return fmt.Errorf("no Block Kit blocks: %v", err)
		}
		return nil
	}, func(n int, w http.ResponseWriter) bool {
		if n < 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return true
		}
		return false
	})
	// Webhook: signed; the first answer is 429 with Retry-After.
	const hookSecret = "hook-secret"
	hook := newReceiver(t, "webhook", "", func(r *http.Request, b []byte) error {
		m := hmac.New(sha256.New, []byte(hookSecret))
		m.Write(b)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Qualitywatch-Signature") != want {
			return fmt.Errorf("signature %q, want %q", r.Header.Get("X-Qualitywatch-Signature"), want)
		}
		_, err := alert.Decode(b)
		return err
	}, func(n int, w http.ResponseWriter) bool {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	const dingSecret = "SECding"
	ding := newReceiver(t, "dingtalk", `{"errcode":0,"errmsg":"ok"}`, func(r *http.Request, b []byte) error {
		ts, sign := r.URL.Query().Get("timestamp"), r.URL.Query().Get("sign")
		if sign != hmacB64(dingSecret, ts+"\n"+dingSecret) {
			return fmt.Errorf("dingtalk sign %q does not verify", sign)
		}
		var m struct {
			Msgtype  string
			Markdown struct{ Title, Text string }
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Msgtype != "markdown" || m.Markdown.Text == "" {
			return fmt.Errorf("not a markdown message: %v", err)
		}
		return nil
	}, nil)
	wecom := newReceiver(t, "wecom", `{"errcode":0,"errmsg":"ok"}`, func(_ *http.Request, b []byte) error {
		var m struct {
			Msgtype  string
			Markdown struct{ Content string }
		}
		if err := json.Unmarshal(b, &m); err != nil || m.Msgtype != "markdown" || len(m.Markdown.Content) > 4096 {
			return fmt.Errorf("not a wecom markdown message: %v", err)
		}
		return nil
	}, nil)
	const larkSecret = "lark"
	lark := newReceiver(t, "feishu", `{"code":0,"msg":"success"}`, func(_ *http.Request, b []byte) error {
		var m struct {
			Timestamp, Sign string
			MsgType         string `json:"msg_type"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if m.Sign != hmacB64(m.Timestamp+"\n"+larkSecret, "") {
			return fmt.Errorf("feishu sign does not verify")
		}
		if m.MsgType == "" {
			return fmt.Errorf("no msg_type")
		}
		return nil
	}, nil)
	digest := newReceiver(t, "digest", "", jsonOK, nil)
	broken := newReceiver(t, "broken", "", nil, func(_ int, w http.ResponseWriter) bool {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return true
	})
	mail := smtptest.Start(t)
	mailHost, mailPort, _ := strings.Cut(mail.Addr, ":")

	conf := fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: ""}
watch: {schedule: "@every 1s", jitter: 0s}
sources:
  - {name: news, url: %q}
notifiers:
  - {name: slack, type: slack, webhook_url: "%s/services/T/B/secret", retry: {initial: 100ms, max: 1s}}
  - {name: hook, type: webhook, url: %q, secret: %q}
  - {name: ding, type: dingtalk, webhook_url: "%s/robot/send?access_token=tok", secret: %q}
  - {name: wecom, type: wecom, webhook_url: "%s/cgi-bin/webhook/send?key=k"}
  - {name: lark, type: feishu, webhook_url: "%s/open-apis/bot/v2/hook/x", secret: %q, match: {regions: [weifang]}}
  - {name: morning, type: webhook, url: %q, digest: "@every 3s"}
  - {name: broken, type: slack, webhook_url: "%s/services/T/B/broken"}
  - {name: mail, type: email, smtp: {host: %q, port: %s, starttls: false}, from: "qw@example.org", to: ["qa@example.org"], exclude: {categories: [recall]}}
  - {name: terminal, type: console, locale: en}
`, freePort(t), t.TempDir(), src.srv.URL, slack.srv.URL, hook.srv.URL, hookSecret, ding.srv.URL, dingSecret, wecom.srv.URL,
		lark.srv.URL, larkSecret, digest.srv.URL, broken.srv.URL, mailHost, mailPort)
	cfg, err := config.Parse([]byte(conf), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	var stdoutMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Build(cfg, logger, writerFunc(func(p []byte) (int, error) {
		stdoutMu.Lock()
		defer stdoutMu.Unlock()
		return stdout.Write(p)
	}), "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("daemon did not stop within 15s")
		}
	})

	js := connectJS(t, cfg)
	waitFor(t, 30*time.Second, "the baseline", func() bool { return baselined(t, js, "news") })
	src.add("wf", "<!channel> 潍坊市市场监督管理局关于食品安全监督抽检信息的通告 <https://evil.example|点击>",
		"潍坊市市场监督管理局组织抽检食品样品120批次，其中不合格样品3批次，已依法处置。")
	src.add("qd", "青岛市市场监管局：部分儿童电动玩具实施召回", "生产企业向市场监管总局备案召回计划，召回存在缺陷的儿童电动玩具2000件。")
	src.add("sd", "山东省市场监管局发布电线电缆产品质量省级监督抽查结果", "共抽查电线电缆产品80批次，不合格12批次。")
	src.add("no", "烟台市推动经济高质量发展 加快建设现代化产业体系", "烟台市坚持高质量发展，经济运行稳中向好。")

	want := map[*receiver]int{slack: 3, hook: 3, ding: 3, wecom: 3, lark: 1}
	deadline := time.Now().Add(40 * time.Second)
	for {
		done := len(mail.Messages()) >= 2 && digestAlerts(t, digest.bodies()) >= 3 && deadLetters(t, cfg) >= 3
		for r, n := range want {
			done = done && len(r.bodies()) >= n
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			for r, n := range want {
				t.Logf("%s: %d of %d", r.name, len(r.bodies()), n)
			}
			t.Fatalf("timed out: mail %d/2, digest alerts %d/3, dead letters %d/3", len(mail.Messages()), digestAlerts(t, digest.bodies()), deadLetters(t, cfg))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Anything extra would have arrived before the sentinel.
	src.addSentinel()
	mails := func() []string {
		var out []string
		for _, m := range mail.Messages() {
			out = append(out, string(m.Data))
		}
		return out
	}
	console := func() string {
		stdoutMu.Lock()
		defer stdoutMu.Unlock()
		return stdout.String()
	}
	waitFor(t, 40*time.Second, "the sentinel at every receiver", func() bool {
		got := hasSentinel(console()) && hasSentinel(digest.bodies()...) && sentinelDeadLettered(t, js, "broken")
		for r := range want {
			got = got && hasSentinel(r.bodies()...)
		}
		return got && hasSentinel(mails()...)
	})
	for r, n := range want {
		if got := len(withoutSentinel(r.bodies())); got != n {
			t.Errorf("%s got %d messages, want exactly %d", r.name, got, n)
		}
	}
	if got := len(withoutSentinel(mails())); got != 2 {
		t.Errorf("mail got %d messages, want 2 (the recall is excluded)", got)
	}
	if got := digestAlerts(t, digest.bodies()); got != 3 {
		t.Errorf("digest carried %d alerts, want each of the 3 exactly once", got)
	}
	if n := len(withoutSentinel(digest.bodies())); n > 2 {
		t.Errorf("digest sent %d messages for alerts published together, want one per window", n)
	}
	if !strings.Contains(lark.bodies()[0], "潍坊") {
		t.Errorf("feishu (weifang only) got %s", lark.bodies()[0])
	}
	if got := deadLetters(t, cfg) - 1; got != 3 { // the sentinel's aside
		t.Errorf("dead letters for the 400 receiver: %d, want 3", got)
	}
	for _, m := range mail.Messages() {
		if bytes.Contains(m.Data, []byte("<!channel>")) {
			t.Errorf("hostile title unescaped in the email")
		}
	}
	out := console()
	if strings.Count(out, "http://example.org/") < 3 || strings.Contains(out, "现代化产业体系") || strings.Contains(out, "example.org/old.html") {
		t.Errorf("console output:\n%s", out)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func digestAlerts(t *testing.T, bodies []string) int {
	t.Helper()
	seen := map[string]int{}
	for _, b := range bodies {
		var d struct {
			Schema string
			Alerts []alert.Alert
		}
		err := json.Unmarshal([]byte(b), &d)
		if err == nil && d.Schema == alert.Schema && hasSentinel(b) {
			continue // the sentinel alone in its window, posted as the alert itself
		}
		if err != nil || d.Schema != "qualitywatch.digest.v1" {
			t.Errorf("digest body %q: %v", b, err)
			continue
		}
		for _, a := range d.Alerts {
			if hasSentinel(a.ID) {
				continue
			}
			seen[a.ID]++
			if seen[a.ID] > 1 {
				t.Errorf("alert %s in two digests", a.ID)
			}
		}
	}
	return len(seen)
}

// sentinel is the guid of an item a test adds after the real ones. A
// notifier takes one alert at a time, in stream order, so once a receiver
// got the sentinel's alert nothing published before it can still arrive
// there: no fixed sleep needs to guess when the last one is in.
const sentinel = "sentinel"

// hasSentinel reports whether any of bodies carries the sentinel's alert (its
// link, or its id in an email's headers).
func hasSentinel(bodies ...string) bool {
	return slices.ContainsFunc(bodies, func(b string) bool { return strings.Contains(b, sentinel) })
}

// withoutSentinel returns the bodies that do not carry the sentinel's alert.
func withoutSentinel(bodies []string) []string {
	var out []string
	for _, b := range bodies {
		if !hasSentinel(b) {
			out = append(out, b)
		}
	}
	return out
}

// sentinelDeadLettered reports whether the notifier's last dead letter is
// the sentinel's alert: every earlier alert it gave up on is dead-lettered
// by then.
func sentinelDeadLettered(t *testing.T, js jetstream.JetStream, notifier string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return false
	}
	m, err := s.GetLastMsgForSubject(ctx, bus.DeadLetterSubject(notifier))
	return err == nil && hasSentinel(string(m.Data))
}

// baselined reports whether the watcher has recorded what the source held
// at first sight: items added from then on alert.
func baselined(t *testing.T, js jetstream.JetStream, source string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	store, err := watcher.OpenStore(ctx, js)
	if err != nil {
		return false
	}
	st, err := store.State(ctx, source)
	return err == nil && st.Baselined
}

// deadLetters counts the broken notifier's dead letters, read from outside
// through the embedded server's client port.
func deadLetters(t *testing.T, cfg *config.Config) int {
	t.Helper()
	nc, err := nats.Connect("nats://" + *cfg.NATS.Listen)
	if err != nil {
		return 0
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return 0
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(bus.DeadLetterSubject("broken")))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for subj, c := range info.State.Subjects {
		if subj != bus.DeadLetterSubject("broken") {
			t.Errorf("dead letter from another notifier: %s", subj)
		}
		n += int(c)
	}
	return n
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
