package main_test

// End-to-end: the real binary on its embedded NATS, a live feed site serving
// RSS (UTF-8), RSS (GB18030) and Atom, a Slack stand-in and an in-process
// SMTP server. What the feeds hold at first sight must not alert; quality
// announcements added later reach Slack, email and QUALITYWATCH_ALERTS;
// rhetoric does not; unchanged feeds are answered 304; after kill -9 and a
// restart nothing is re-alerted and new items are delivered exactly once;
// after kill -9 while Slack answers, that alert comes back within seconds of
// the restart and is the only one sent twice.

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
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	"github.com/qualitywatch/qualitywatch/internal/syncbuf"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
	"github.com/qualitywatch/qualitywatch/notifier/email"
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

// slackSite records what the Slack webhook receives. The first request
// whose body holds the text set by holdFirst is recorded, then answered only
// once released: the daemon can be killed while Slack answers.
type slackSite struct {
	mu      sync.Mutex
	bodies  []string
	hold    string
	held    chan struct{} // closed when the held request arrived
	release chan struct{}
	arrived []time.Time // when each request holding the text arrived
	srv     *httptest.Server
}

func newSlackSite(t *testing.T) *slackSite {
	s := &slackSite{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		var wait chan struct{}
		if s.hold != "" && strings.Contains(string(b), s.hold) {
			s.arrived = append(s.arrived, time.Now())
			if len(s.arrived) == 1 {
				close(s.held)
				wait = s.release
			}
		}
		s.mu.Unlock()
		if wait != nil {
			select {
			case <-wait:
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	t.Cleanup(s.releaseHeld) // runs first: Close waits for the held request
	return s
}

// holdFirst makes the first request whose body contains text wait for
// releaseHeld; held is closed when it arrives.
func (s *slackSite) holdFirst(text string) (held <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold, s.held, s.release, s.arrived = text, make(chan struct{}), make(chan struct{}), nil
	return s.held
}

func (s *slackSite) releaseHeld() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.release != nil {
		close(s.release)
		s.release = nil
	}
}

// arrivals is when each request holding the text set by holdFirst arrived.
func (s *slackSite) arrivals() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.arrived...)
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
	stderr *syncbuf.Buffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, once exited is closed
}

func start(t *testing.T, config string) *daemon {
	t.Helper()
	d := &daemon{stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
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

	// An item added after the restart is delivered exactly once. Each
	// notifier delivers in stream order, one alert at a time: anything the
	// restart re-alerted arrives before this item's alert, and a second
	// delivery of that alert before the sentinel added after it.
	feeds.add("/utf8.xml", entry{"u3", "淄博市市场监管局公布电线电缆产品质量监督抽查结果", "本次抽查电线电缆产品50批次，不合格4批次，已依法处理。"})
	waitFor(t, "the new alert", 30*time.Second, func() bool { return delivered(slack, mail, "u3") })
	if n, m := others(slack, mail, "u3"); n != 3 || m != 3 {
		t.Fatalf("after restart: slack %d, email %d messages; want 3 and 3 (no re-alert)", n, m)
	}
	assertAlerts(t, natsAddr, []string{"u2", "g2", "a2", "u3"})
	feeds.add("/utf8.xml", entry{"sentinel", "济南市市场监管局关于2026年儿童玩具产品质量监督抽查结果的通告", "抽查儿童玩具产品60批次，不合格4批次。"})
	waitFor(t, "the sentinel", 30*time.Second, func() bool { return delivered(slack, mail, "sentinel") })
	if n, m := others(slack, mail, "sentinel"); n != 4 || m != 4 {
		t.Fatalf("after new item: slack %d, email %d messages; want exactly 4 each", n, m)
	}

	// kill -9 while Slack is answering an alert: after the restart the
	// alert comes back once the ack wait has passed (it used to take 30 s),
	// and it is the only message sent twice: delivery is at least once, and
	// email, which had answered, gets it once.
	held := slack.holdFirst("儿童服装")
	feeds.add("/gb.xml", entry{"g3", "烟台市市场监管局公布儿童服装产品质量监督抽查结果", "本次抽查儿童服装产品60批次，不合格5批次，已责令整改。"})
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the alert for g3 did not reach Slack")
	}
	waitFor(t, "the g3 email", 30*time.Second, func() bool { return slices.Contains(mailGUIDs(mail), "g3") })
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-d.exited
	slack.releaseHeld()
	restarted := time.Now()
	d = start(t, config)
	waitFor(t, "g3 sent again after the restart", 60*time.Second, func() bool { return len(slack.arrivals()) >= 2 })
	resumed := slack.arrivals()[1].Sub(restarted)
	t.Logf("kill -9 while Slack answered: the alert reached Slack again %s after the restart (ack wait %s)",
		resumed.Round(100*time.Millisecond), delivery.DefaultAckWait)
	if resumed >= 30*time.Second {
		t.Errorf("the alert held at the kill came back %s after the restart: the short ack wait is not in effect", resumed)
	}
	if !strings.Contains(d.stderr.String(), "sending again after an interrupted send") {
		t.Errorf("no warning that the alert whose send the kill interrupted may reach Slack twice")
	}
	feeds.add("/utf8.xml", entry{"sentinel-2", "临沂市市场监管局公布电动自行车产品质量监督抽查结果", "本次抽查电动自行车产品40批次，不合格3批次。"})
	waitFor(t, "the second sentinel", 30*time.Second, func() bool { return delivered(slack, mail, "sentinel-2") })
	countOf := func(guids []string, g string) int {
		n := 0
		for _, x := range guids {
			if x == g {
				n++
			}
		}
		return n
	}
	if n, m := countOf(slackGUIDs(slack), "g3"), countOf(mailGUIDs(mail), "g3"); n != 2 || m != 1 {
		t.Errorf("g3 reached Slack %d and email %d times; want 2 (the kill fell while Slack answered) and 1", n, m)
	}
	if n, m := len(slackGUIDs(slack)), len(mailGUIDs(mail)); n != 8 || m != 7 {
		t.Errorf("slack %d, email %d messages; want 8 and 7: only g3 is repeated, in Slack", n, m)
	}

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

// delivered reports whether the alert for guid reached both Slack and email.
func delivered(slack *slackSite, mail *smtptest.Server, guid string) bool {
	return slices.Contains(slackGUIDs(slack), guid) && slices.Contains(mailGUIDs(mail), guid)
}

// others counts the Slack messages and the emails that carry another alert
// than the one for guid.
func others(slack *slackSite, mail *smtptest.Server, guid string) (inSlack, inMail int) {
	for _, g := range slackGUIDs(slack) {
		if g != guid {
			inSlack++
		}
	}
	for _, g := range mailGUIDs(mail) {
		if g != guid {
			inMail++
		}
	}
	return inSlack, inMail
}

// itemLink is the link of a test item (see rss and atom).
var itemLink = regexp.MustCompile(`http://example\.org/([^/"|>]+)\.html`)

// slackGUIDs names the item behind each Slack message by its link, "" where
// it shows none.
func slackGUIDs(s *slackSite) []string {
	var out []string
	for _, b := range s.messages() {
		g := ""
		if m := itemLink.FindStringSubmatch(b); m != nil {
			g = m[1]
		}
		out = append(out, g)
	}
	return out
}

// mailGUIDs names the item behind each email by the alert id in its
// headers ("<source>/guid:<guid>"), "" where it has none.
func mailGUIDs(s *smtptest.Server) []string {
	var out []string
	for _, m := range s.Messages() {
		g := ""
		if msg, err := mail.ReadMessage(bytes.NewReader(m.Data)); err == nil {
			_, g, _ = strings.Cut(msg.Header.Get(email.AlertIDHeader), "/guid:")
		}
		out = append(out, g)
	}
	return out
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
	stream, err := js.Stream(ctx, bus.AlertsStream)
	if err != nil {
		t.Fatal(err)
	}
	// Fetch as many as the stream holds: nothing more to wait for.
	held := int(stream.CachedInfo().State.Msgs)
	cons, err := js.OrderedConsumer(ctx, bus.AlertsStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(max(held, 1), jetstream.FetchMaxWait(5*time.Second))
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
