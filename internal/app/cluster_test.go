package app_test

// Three qualitywatch daemons (the built binary, as child processes) on a
// real 3-node NATS cluster (in-process nats-servers joined by routes), all
// started at the same moment on the fresh cluster, share ten sources polled
// @every 2s while announcements keep coming. One daemon is killed with
// SIGKILL, then one NATS node is shut down. Every alert must reach the
// webhook once, no daemon may exit with an error, at most 1% of the
// source-intervals may be polled twice, and the dead daemon's sources must
// be polled by the others within an interval and a few seconds.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/syncbuf"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
	"github.com/qualitywatch/qualitywatch/router"
)

const (
	clusterSources = 10
	clusterEvery   = 2 * time.Second
)

func TestReplicasShareSourcesThroughKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs a 3-node NATS cluster and 3 daemons")
	}
	began := time.Now()
	bin := buildDaemon(t)
	t.Logf("built the daemon in %s", time.Since(began).Round(time.Millisecond))
	nodes := startNATSCluster(t, 3)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.ClientURL())
	}
	site := newPollSite(t)
	hook := newReceiver(t, "webhook", "", nil, nil)

	// All three at once, on a cluster that has just started.
	var daemons []*child
	for i := range 3 {
		daemons = append(daemons, newChild(t, bin, i, strings.Join(urls, ","), site.srv.URL, hook.srv.URL))
	}
	for _, d := range daemons {
		d.start(t)
	}
	waitFor(t, 90*time.Second, "three daemons ready and every source polled", func() bool {
		for _, d := range daemons {
			if d.exitedEarly(t) || !d.ready() {
				return false
			}
		}
		return site.pollsSince(time.Time{}, "") >= clusterSources && len(site.pollers()) > 0
	})
	readyAt := time.Now()
	t.Logf("3 daemons ready %s after start", readyAt.Sub(daemons[0].started).Round(time.Millisecond))

	js := clusterJS(t, urls)
	ann := &announcer{site: site}
	polledTimes := func(since time.Time, n int) func() bool {
		return func() bool {
			for _, d := range daemons {
				if !d.killed && d.exitedEarly(t) {
					return false
				}
			}
			return site.everySourcePolled(since, n)
		}
	}

	// Steady state, with announcements.
	ann.start()
	waitFor(t, 60*time.Second, "4 polls of every source", polledTimes(readyAt, 4))
	ann.stop()
	waitDelivered(t, js, hook, ann)
	t.Logf("steady state: %d alerts delivered %s after ready", len(ann.links()), time.Since(readyAt).Round(time.Millisecond))

	// Kill the daemon polling the most sources, while nothing is in flight
	// to the webhook (what a kill during a send does is the delivery's
	// business, not the sharing's).
	victim := daemons[0]
	recent := site.pollers()
	for _, d := range daemons {
		if recent[d.name] > recent[victim.name] {
			victim = d
		}
	}
	victimSources := site.lastPolledBy(victim.name)
	ann.start()
	victim.killed = true
	killedAt := time.Now()
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.exited
	waitFor(t, 30*time.Second, "the killed daemon's sources polled by the others", func() bool {
		return site.everyPolledAfter(victimSources, killedAt)
	})
	var takeover time.Duration
	for _, src := range victimSources {
		takeover = max(takeover, site.firstPollAfter(src, killedAt).Sub(killedAt))
	}
	t.Logf("killed %s (polling %d of %d sources); its sources polled again within %s",
		victim.name, len(victimSources), clusterSources, takeover.Round(time.Millisecond))
	if limit := clusterEvery + 5*time.Second; takeover > limit {
		t.Errorf("the killed daemon's sources were polled again after %s, want within %s", takeover, limit)
	}
	waitFor(t, 60*time.Second, "4 polls of every source after the kill", polledTimes(killedAt, 4))

	// Lose the NATS node leading the lease bucket: its clients reconnect to
	// the others, the streams it led elect new leaders.
	lost := leaseLeader(t, js, nodes)
	lostAt := time.Now()
	lost.Shutdown()
	lost.WaitForShutdown()
	waitFor(t, 60*time.Second, "4 polls of every source after losing a NATS node", polledTimes(lostAt, 4))
	ann.stop()
	quiet := time.Now()
	t.Logf("lost NATS node %s, the lease bucket's leader; every source polled 4 times %s later",
		lost.Name(), quiet.Sub(lostAt).Round(time.Millisecond))
	waitDelivered(t, js, hook, ann)
	endAt := time.Now()
	t.Logf("all %d alerts delivered %s after the last announcement", len(ann.links()), endAt.Sub(quiet).Round(time.Millisecond))

	// Every alert once.
	got := map[string]int{}
	for _, b := range hook.bodies() {
		a, err := alert.Decode([]byte(b))
		if err != nil {
			t.Fatalf("webhook body: %v", err)
		}
		got[a.Link]++
	}
	for _, link := range ann.links() {
		if got[link] != 1 {
			t.Errorf("%s reached the webhook %d times, want once", link, got[link])
		}
	}
	if len(got) != len(ann.links()) {
		t.Errorf("%d distinct alerts for %d announcements", len(got), len(ann.links()))
	}

	// The survivors stop in order and without error.
	for _, d := range daemons {
		if d != victim {
			d.stop(t)
		}
	}

	slots, twice := site.doubles(readyAt, endAt)
	rate := float64(twice) / float64(max(slots, 1))
	t.Logf("%d announcements alerted once each; %d of %d source-intervals polled twice (%.2f%%); longest wait between two polls of a source: %s after the kill, %s after losing a NATS node",
		len(ann.links()), twice, slots, 100*rate, site.longestGap(killedAt, lostAt).Round(time.Millisecond), site.longestGap(lostAt, endAt).Round(time.Millisecond))
	if rate > 0.01 {
		t.Errorf("%.2f%% of source-intervals polled twice, want at most 1%%", 100*rate)
	}
}

// buildDaemon builds the qualitywatch binary, with the race detector when
// the test has it.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "qualitywatch")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	out, err := exec.Command("go", append(args, "github.com/qualitywatch/qualitywatch/cmd/qualitywatch")...).CombinedOutput()
	if err != nil {
		t.Fatalf("build qualitywatch: %v\n%s", err, out)
	}
	return bin
}

// startNATSCluster starts n nats-servers with JetStream, routed to each
// other on 127.0.0.1, and returns them once they accept clients (JetStream
// may not have elected its leaders yet).
func startNATSCluster(t *testing.T, n int) []*server.Server {
	t.Helper()
	var routes []string
	var ports []int
	for range n {
		addr := freePort(t)
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		ports = append(ports, port)
		routes = append(routes, "nats://"+addr)
	}
	var nodes []*server.Server
	for i := range n {
		s, err := server.NewServer(&server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "qualitywatch-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		})
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		nodes = append(nodes, s)
	}
	for _, s := range nodes {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("nats node %s not ready", s.Name())
		}
	}
	return nodes
}

func clusterJS(t *testing.T, urls []string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// leaseLeader is the node leading the lease bucket's stream.
func leaseLeader(t *testing.T, js jetstream.JetStream, nodes []*server.Server) *server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "KV_"+bus.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if info.Cluster != nil && n.Name() == info.Cluster.Leader {
			return n
		}
	}
	t.Fatalf("no node leads the lease bucket: %+v", info.Cluster)
	return nil
}

// waitDelivered waits until every announcement made so far reached the
// webhook and nothing is pending in the classifier's or the webhook's
// consumer: a duplicate would have arrived by then.
func waitDelivered(t *testing.T, js jetstream.JetStream, hook *receiver, ann *announcer) {
	t.Helper()
	want := len(ann.links())
	waitFor(t, 60*time.Second, fmt.Sprintf("%d alerts at the webhook", want), func() bool {
		return len(hook.bodies()) >= want &&
			drained(t, js, bus.ItemsStream, router.ConsumerName) && drained(t, js, bus.AlertsStream, delivery.ConsumerName("hook"))
	})
}

// child is one daemon process.
type child struct {
	name, config, http string
	cmd                *exec.Cmd
	log                *syncbuf.Buffer
	started            time.Time
	exited             chan struct{}
	err                error
	killed             bool
}

func newChild(t *testing.T, bin string, i int, natsURL, siteURL, hookURL string) *child {
	t.Helper()
	c := &child{name: fmt.Sprintf("qw-%d", i), http: freePort(t), log: &syncbuf.Buffer{}, exited: make(chan struct{})}
	var b strings.Builder
	fmt.Fprintf(&b, "nats: {url: %q, replicas: 3, instance: %q}\n", natsURL, c.name)
	fmt.Fprintf(&b, "http: {listen: %q}\n", c.http)
	fmt.Fprintf(&b, "watch: {user_agent: %q, timezone: UTC}\n", c.name)
	b.WriteString("sources:\n")
	for s := range clusterSources {
		fmt.Fprintf(&b, "  - {name: s%02d, url: \"%s/s%02d.xml\", schedule: \"@every %s\"}\n", s, siteURL, s, clusterEvery)
	}
	fmt.Fprintf(&b, "notifiers:\n  - {name: hook, type: webhook, url: %q}\n", hookURL)
	c.config = filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(c.config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(bin, "run", "--config", c.config, "--log-level", "debug")
	c.cmd.Stdout, c.cmd.Stderr = io.Discard, c.log
	t.Cleanup(func() {
		if c.cmd.Process != nil {
			_ = c.cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() || os.Getenv("QW_DEBUG_LOGS") != "" {
			t.Logf("%s log (last 6000 bytes):\n%s", c.name, c.log.Tail(6000))
		}
	})
	return c
}

func (c *child) start(t *testing.T) {
	t.Helper()
	c.started = time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = c.cmd.Wait(); close(c.exited) }()
}

func (c *child) ready() bool {
	resp, err := http.Get("http://" + c.http + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// exitedEarly fails the test when the daemon stopped on its own.
func (c *child) exitedEarly(t *testing.T) bool {
	t.Helper()
	select {
	case <-c.exited:
		t.Fatalf("%s exited on its own: %v", c.name, c.err)
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and wants a clean exit.
func (c *child) stop(t *testing.T) {
	t.Helper()
	c.exitedEarly(t)
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.exited:
		if c.err != nil {
			t.Errorf("%s exited with %v", c.name, c.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("%s did not stop within 20s", c.name)
	}
}

// pollSite serves the feeds s00.xml ... and records every request: which
// source, which daemon (its User-Agent), when.
type pollSite struct {
	mu    sync.Mutex
	items map[string][]string // newest first
	polls []sitePoll
	srv   *httptest.Server
}

type sitePoll struct {
	source, by string
	at         time.Time
}

func newPollSite(t *testing.T) *pollSite {
	s := &pollSite{items: map[string][]string{}}
	for i := range clusterSources {
		src := fmt.Sprintf("s%02d", i)
		s.addLocked(src, "old-"+src, "烟台市推动经济高质量发展", "经济运行稳中向好。") // baseline
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		src := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".xml")
		s.mu.Lock()
		defer s.mu.Unlock()
		s.polls = append(s.polls, sitePoll{source: src, by: r.UserAgent(), at: time.Now()})
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>http://example.org/</link>`)
		for _, it := range s.items[src] {
			fmt.Fprint(w, it)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pollSite) add(src, guid, title, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(src, guid, title, text)
}

func (s *pollSite) addLocked(src, guid, title, text string) {
	it := fmt.Sprintf("<item><guid>%s</guid><title><![CDATA[%s]]></title><link>http://example.org/%s.html</link><description><![CDATA[%s]]></description></item>",
		guid, title, guid, text)
	s.items[src] = append([]string{it}, s.items[src]...)
}

func (s *pollSite) snapshot() []sitePoll {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.polls)
}

// pollsSince counts the polls since t (of src, or of all sources).
func (s *pollSite) pollsSince(t time.Time, src string) int {
	n := 0
	for _, p := range s.snapshot() {
		if p.at.After(t) && (src == "" || p.source == src) {
			n++
		}
	}
	return n
}

func (s *pollSite) everySourcePolled(since time.Time, n int) bool {
	for i := range clusterSources {
		if s.pollsSince(since, fmt.Sprintf("s%02d", i)) < n {
			return false
		}
	}
	return true
}

// pollers counts, per daemon, the polls of the last two intervals.
func (s *pollSite) pollers() map[string]int {
	out := map[string]int{}
	for _, p := range s.snapshot() {
		if time.Since(p.at) < 2*clusterEvery {
			out[p.by]++
		}
	}
	return out
}

// lastPolledBy lists the sources whose last poll was by the daemon.
func (s *pollSite) lastPolledBy(by string) []string {
	last := map[string]string{}
	for _, p := range s.snapshot() {
		last[p.source] = p.by
	}
	var out []string
	for src, b := range last {
		if b == by {
			out = append(out, src)
		}
	}
	slices.Sort(out)
	return out
}

func (s *pollSite) firstPollAfter(src string, t time.Time) time.Time {
	for _, p := range s.snapshot() {
		if p.source == src && p.at.After(t) {
			return p.at
		}
	}
	return time.Time{}
}

func (s *pollSite) everyPolledAfter(sources []string, t time.Time) bool {
	for _, src := range sources {
		if s.firstPollAfter(src, t).IsZero() {
			return false
		}
	}
	return true
}

// doubles counts the source-intervals (each source's slots of the Unix-time
// grid of clusterEvery) wholly between from and to, and those polled more
// than once.
func (s *pollSite) doubles(from, to time.Time) (slots, twice int) {
	first := from.UnixNano()/int64(clusterEvery) + 1
	last := to.UnixNano()/int64(clusterEvery) - 1
	count := map[string]int{}
	for _, p := range s.snapshot() {
		k := p.at.UnixNano() / int64(clusterEvery)
		if k >= first && k <= last {
			count[fmt.Sprintf("%s/%d", p.source, k)]++
		}
	}
	for _, n := range count {
		if n > 1 {
			twice++
		}
	}
	return clusterSources * int(max(0, last-first+1)), twice
}

// longestGap is the longest time between two polls of a source, or from
// from to its first poll, within [from, to].
func (s *pollSite) longestGap(from, to time.Time) time.Duration {
	last := map[string]time.Time{}
	var gap time.Duration
	for _, p := range s.snapshot() {
		if p.at.Before(from) || p.at.After(to) {
			continue
		}
		prev, ok := last[p.source]
		if !ok {
			prev = from
		}
		gap = max(gap, p.at.Sub(prev))
		last[p.source] = p.at
	}
	return gap
}

// announcer adds a quality announcement to one source after another.
type announcer struct {
	site *pollSite

	mu     sync.Mutex
	n      int
	added  []string
	cancel context.CancelFunc
	done   chan struct{}
}

func (a *announcer) start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel, a.done = cancel, make(chan struct{})
	go func() {
		defer close(a.done)
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			a.mu.Lock()
			a.n++
			n := a.n
			guid := fmt.Sprintf("notice-%03d", n)
			a.added = append(a.added, "http://example.org/"+guid+".html")
			a.mu.Unlock()
			a.site.add(fmt.Sprintf("s%02d", n%clusterSources), guid,
				fmt.Sprintf("潍坊市市场监督管理局关于2026年第%d期食品安全监督抽检信息的通告", n),
				"潍坊市市场监督管理局组织抽检食品样品120批次，其中不合格样品3批次，已依法处置。")
		}
	}()
}

func (a *announcer) stop() {
	a.cancel()
	<-a.done
}

func (a *announcer) links() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.added)
}
