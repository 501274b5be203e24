package main_test

// End-to-end: the real binary on its embedded NATS, a live feed site serving
// RSS (UTF-8), RSS (GB18030) and Atom, a Slack stand-in and an in-process
// SMTP server. What the feeds hold at first sight must not alert; quality
// announcements added later reach Slack, email and QUALITYWATCH_ALERTS;
// rhetoric does not; unchanged feeds are answered 304; after kill -9 and a
// restart nothing is re-alerted and new items are delivered exactly once.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/internal/smtptest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qualitywatch-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "qualitywatch")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build qualitywatch:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type entry struct{ guid, title, text string }

// feedSite serves feeds that a test can change, with ETag conditional GET.
type feedSite struct {
	mu          sync.Mutex
	feeds       map[string][]entry
	notModified map[string]int
	srv         *httptest.Server
}

func newFeedSite(t *testing.T) *feedSite {
	fs := &feedSite{feeds: map[string][]entry{}, notModified: map[string]int{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *feedSite) add(path string, e entry) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.feeds[path] = append([]entry{e}, fs.feeds[path]...) // newest first
}

func (fs *feedSite) count304(path string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.notModified[path]
}

func (fs *feedSite) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	entries, ok := fs.feeds[r.URL.Path]
	fs.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	var body []byte
	var ctype string
	switch r.URL.Path {
	case "/utf8.xml":
		body, ctype = rss(entries, "UTF-8"), "application/rss+xml; charset=utf-8"
	case "/gb.xml":
		enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes(rss(entries, "GB18030"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		body, ctype = enc, "application/rss+xml" // the charset is only in the XML prolog
	case "/atom.xml":
		body, ctype = atom(entries), "application/atom+xml"
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		fs.mu.Lock()
		fs.notModified[r.URL.Path]++
		fs.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(body)
}

func rss(entries []entry, charset string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="%s"?>`+"\n"+`<rss version="2.0"><channel><title>测试新闻</title><link>http://example.org/</link>`, charset)
	for i, e := range entries {
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">%s</guid><title>%s</title><link>http://example.org/%s.html</link><description><![CDATA[<p>%s</p>]]></description><pubDate>%s</pubDate></item>",
			e.guid, e.title, e.guid, e.text, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(len(entries)-i)*time.Hour).Format(time.RFC1123Z))
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func atom(entries []entry) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>测试</title><id>urn:test</id><updated>2026-11-01T08:00:00Z</updated>`)
	for _, e := range entries {
		fmt.Fprintf(&b, `<entry><id>urn:%s</id><title>%s</title><link href="http://example.org/%s.html"/><updated>2026-11-01T08:00:00Z</updated><summary>%s</summary></entry>`,
			e.guid, e.title, e.guid, e.text)
	}
	b.WriteString("</feed>")
	return b.Bytes()
}

// slackSite records what the Slack webhook receives.
type slackSite struct {
	mu     sync.Mutex
	bodies []string
	srv    *httptest.Server
}

func newSlackSite(t *testing.T) *slackSite {
	s := &slackSite{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackSite) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
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

// daemon is one run of the binary.
type daemon struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, config string) *daemon {
	t.Helper()
	d := &daemon{stderr: &syncBuffer{}, exited: make(chan struct{})}
	d.cmd = exec.Command(binary, "run", "--config", config, "--log-level", "debug")
	d.cmd.Stdout = io.Discard
	d.cmd.Stderr = d.stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		_ = d.cmd.Process.Kill()
		<-d.exited
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.stderr.String())
		}
	})
	return d
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test runs the binary")
	}
	feeds := newFeedSite(t)
	slack := newSlackSite(t)
	mail := smtptest.Start(t)
	smtpHost, smtpPort, _ := net.SplitHostPort(mail.Addr)
	natsAddr, httpAddr := freePort(t), freePort(t)
	dir := t.TempDir()

	// At first sight: an announcement (must not alert: baseline) and rhetoric.
	feeds.add("/utf8.xml", entry{"u1", "青岛市市场监管局发布2026年第一批产品质量监督抽查结果", "本次共抽查电线电缆、儿童用品等产品156批次，发现不合格产品9批次。"})
	feeds.add("/gb.xml", entry{"g1", "潍坊市召开质量强市工作会议", "会议总结部署全市质量工作，推进质量强市建设。"})
	feeds.add("/atom.xml", entry{"a1", "全市推动高质量发展大会召开", "会议强调，要坚定不移推动经济高质量发展。"})

	config := filepath.Join(dir, "config.yaml")
	conf := fmt.Sprintf(`nats:
  listen: %q
  store_dir: %q
http:
  listen: %q
watch:
  schedule: "@every 1s"
sources:
  - {name: utf8-rss, url: "%s/utf8.xml"}
  - {name: gb-rss, url: "%s/gb.xml"}
  - {name: atom, url: "%s/atom.xml"}
notifiers:
  - name: slack
    type: slack
    webhook_url: "%s/services/T000/B000/XXXX"
  - name: mail
    type: email
    smtp: {host: %q, port: %s, starttls: false}
    from: "qualitywatch@example.org"
    to: ["qa@example.org"]
`, natsAddr, filepath.Join(dir, "nats"), httpAddr, feeds.srv.URL, feeds.srv.URL, feeds.srv.URL, slack.srv.URL, smtpHost, smtpPort)
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}

	d := start(t, config)
	waitFor(t, "healthz", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	waitFor(t, "baseline of three sources", 30*time.Second, func() bool {
		return strings.Count(d.stderr.String(), "baseline recorded") >= 3
	})
	waitFor(t, "304 answers", 20*time.Second, func() bool {
		return feeds.count304("/utf8.xml") > 0 && feeds.count304("/gb.xml") > 0 && feeds.count304("/atom.xml") > 0
	})
	if n := len(slack.messages()); n != 0 {
		t.Fatalf("baseline alerted: slack got %d messages", n)
	}

	// New items: three announcements, one piece of rhetoric.
	feeds.add("/utf8.xml", entry{"u2", "潍坊市市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", "近期，潍坊市市场监督管理局组织抽检食品样品120批次，其中合格样品117批次、不合格样品3批次。"})
	feeds.add("/gb.xml", entry{"g2", "山东省市场监管局发布儿童玩具产品质量省级监督抽查结果", "共抽查儿童玩具产品80批次，发现12批次产品不合格，已责令企业整改。"})
	feeds.add("/atom.xml", entry{"a2", "国家市场监督管理总局缺陷产品管理中心：部分电动自行车召回", "生产企业向国家市场监督管理总局备案了召回计划，将召回存在缺陷的电动自行车。"})
	feeds.add("/atom.xml", entry{"a3", "烟台市推动经济高质量发展 加快建设现代化产业体系", "烟台市坚持高质量发展，加快建设现代化产业体系，经济运行稳中向好。"})

	waitFor(t, "three alerts in Slack and email", 30*time.Second, func() bool {
		return len(slack.messages()) >= 3 && len(mail.Messages()) >= 3
	})
	assertAlerts(t, natsAddr, []string{"u2", "g2", "a2"})
	for _, m := range slack.messages() {
		if strings.Contains(m, "现代化产业体系") {
			t.Errorf("rhetoric reached Slack: %s", m)
		}
	}

	// kill -9, restart: nothing is re-alerted.
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.exited
	d = start(t, config)
	before304 := feeds.count304("/gb.xml")
	waitFor(t, "polls after restart", 30*time.Second, func() bool { return feeds.count304("/gb.xml") >= before304+3 })
	time.Sleep(2 * time.Second)
	if n, m := len(slack.messages()), len(mail.Messages()); n != 3 || m != 3 {
		t.Fatalf("after restart: slack %d, email %d messages; want 3 and 3 (no re-alert)", n, m)
	}

	// An item added after the restart is delivered exactly once.
	feeds.add("/utf8.xml", entry{"u3", "淄博市市场监管局公布电线电缆产品质量监督抽查结果", "本次抽查电线电缆产品50批次，不合格4批次，已依法处理。"})
	waitFor(t, "the new alert", 30*time.Second, func() bool { return len(slack.messages()) >= 4 && len(mail.Messages()) >= 4 })
	time.Sleep(3 * time.Second)
	if n, m := len(slack.messages()), len(mail.Messages()); n != 4 || m != 4 {
		t.Fatalf("after new item: slack %d, email %d messages; want exactly 4 each", n, m)
	}
	assertAlerts(t, natsAddr, []string{"u2", "g2", "a2", "u3"})

	// SIGTERM stops it cleanly within the shutdown budget.
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.exited:
		if d.err != nil {
			t.Fatalf("exit after SIGTERM: %v", d.err)
		}
		if !strings.Contains(d.stderr.String(), "stopped") {
			t.Errorf("no orderly stop in the log")
		}
	case <-time.After(app.ShutdownTimeout + 5*time.Second):
		t.Fatalf("did not stop within %s of SIGTERM (the contract is %s)", app.ShutdownTimeout+5*time.Second, app.ShutdownTimeout)
	}
}

// assertAlerts checks that QUALITYWATCH_ALERTS holds exactly the alerts for
// the given guids, each with Nats-Msg-Id and schema v1.
func assertAlerts(t *testing.T, natsAddr string, guids []string) {
	t.Helper()
	nc, err := nats.Connect("nats://" + natsAddr)
	if err != nil {
		t.Fatalf("connect to embedded nats from outside: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, bus.AlertsStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(len(guids)+5, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for m := range batch.Messages() {
		a, err := alert.Decode(m.Data())
		if err != nil {
			t.Fatalf("alert on %s: %v", m.Subject(), err)
		}
		if id := m.Headers().Get(jetstream.MsgIDHeader); id != a.ID {
			t.Errorf("Nats-Msg-Id %q, alert id %q", id, a.ID)
		}
		if !strings.HasPrefix(m.Subject(), bus.AlertsPrefix+".") || len(strings.Split(m.Subject(), ".")) != 4 {
			t.Errorf("subject %q is not qualitywatch.alerts.<region>.<category>", m.Subject())
		}
		if _, err := time.Parse(time.RFC3339, a.Detected); err != nil {
			t.Errorf("detected %q: %v", a.Detected, err)
		}
		raw := map[string]any{}
		_ = json.Unmarshal(m.Data(), &raw)
		for _, k := range []string{"id", "source", "title", "link", "published", "detected", "summary", "score", "categories", "regions", "terms"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("alert %s lacks %q", a.ID, k)
			}
		}
		got = append(got, a.Link)
	}
	if len(got) != len(guids) {
		t.Fatalf("alerts stream holds %d alerts (%v), want %d (%v)", len(got), got, len(guids), guids)
	}
	for _, g := range guids {
		found := false
		for _, l := range got {
			found = found || strings.HasSuffix(l, "/"+g+".html")
		}
		if !found {
			t.Errorf("no alert for %s in %v", g, got)
		}
	}
}
