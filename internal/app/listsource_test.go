package app_test

// The daemon reading the fake bureau (internal/govsite) through every CMS
// family, with detail pages: every quality notice alerts exactly once, with
// its absolute link and the article's publication time, neutral titles
// included; nothing else alerts; a second poll publishes nothing again.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/internal/govsite"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
	"github.com/qualitywatch/qualitywatch/router"
)

func TestListSourcesAlertEachQualityNoticeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	site := govsite.New(t)
	hook := newReceiver(t, "webhook", "", nil, nil)
	cols := govsite.Columns()
	names := []string{"hanweb", "hanweb-gbk", "trs-gbk", "vsb", "jpaas", "jsonlist"}
	var sources strings.Builder
	total := 0
	for _, name := range names {
		c := cols[name]
		s := c.Select
		typ := "html"
		if s.HTML != "" || s.Items != "" {
			typ = "json"
		}
		pageParam := ""
		if name == "jsonlist" {
			pageParam = "page_param: page, "
		}
		fmt.Fprintf(&sources, "  - {name: %s, type: %s, url: %q, baseline: false, pages: %d, %s"+
			"select: {html: %q, items: %q, item: %q, title: %q, link: %q, date: %q}, detail: {body: %q, date: %q}}\n",
			name, typ, site.URL+c.Path, c.Pages, pageParam, s.HTML, s.Items, s.Item, s.Title, s.Link, s.Date, s.Body, s.DetailDate)
		total += len(c.Entries)
	}
	conf := fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: ""}
watch: {schedule: "@every 2s", jitter: 0s, host_delay: 0s}
sources:
%snotifiers:
  - {name: hook, type: webhook, url: %q}
`, freePort(t), t.TempDir(), sources.String(), hook.srv.URL)
	cfg, err := config.Parse([]byte(conf), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	runDaemon(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))

	js := connectJS(t, cfg)
	// Every entry of every page becomes an item; then the stage and the
	// notifier have nothing left to do.
	waitFor(t, 60*time.Second, "every entry published", func() bool { return streamMsgs(t, js, bus.ItemsStream) == total })
	waitFor(t, 30*time.Second, "stage and notifier drained", func() bool {
		return drained(t, js, bus.ItemsStream, router.ConsumerName) && drained(t, js, bus.AlertsStream, delivery.ConsumerName("hook"))
	})
	// A further poll of every list publishes nothing again.
	before := site.Requests(cols["trs-gbk"].Path)
	waitFor(t, 30*time.Second, "a second poll", func() bool { return site.Requests(cols["trs-gbk"].Path) > before })
	if got := streamMsgs(t, js, bus.ItemsStream); got != total {
		t.Errorf("items after a second poll: %d, want still %d", got, total)
	}

	want := map[string]govsite.Entry{}
	for _, name := range names {
		c := cols[name]
		for _, e := range c.Entries {
			if slices.Contains(c.Quality, e.Link) {
				want[e.Link] = e
			}
		}
	}
	related := map[string]bool{}
	for _, name := range names {
		for _, l := range cols[name].Related {
			related[l] = true
		}
	}
	got := map[string]int{}
	loc := time.FixedZone("CST", 8*3600)
	for _, b := range hook.bodies() {
		al, err := alert.Decode([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(al.Link)
		if err != nil || !u.IsAbs() {
			t.Errorf("alert link %q is not absolute", al.Link)
			continue
		}
		got[u.RequestURI()]++
		w, ok := want[u.RequestURI()]
		if !ok && related[u.RequestURI()] {
			continue
		}
		if !ok {
			t.Errorf("alert for a notice that is not about quality: %s %s (terms %v)", al.Title, al.Link, al.Terms)
			continue
		}
		pub, _ := time.Parse(time.RFC3339, al.Published)
		if d := pub.In(loc).Format("2006-01-02 15:04"); !strings.HasPrefix(d, w.PubDate) {
			t.Errorf("%s: published %s, want the article's %s", al.Link, al.Published, w.PubDate)
		}
	}
	var missed []string
	for link, e := range want {
		switch got[link] {
		case 1:
		case 0:
			missed = append(missed, e.Title+" "+link)
		default:
			t.Errorf("%s alerted %d times", link, got[link])
		}
	}
	slices.Sort(missed)
	if len(missed) > 0 {
		t.Errorf("%d of %d quality notices did not alert:\n%s", len(missed), len(want), strings.Join(missed, "\n"))
	}
	neutral := 0
	for _, name := range names {
		for _, l := range cols[name].Neutral {
			if got[l] == 1 {
				neutral++
			}
		}
	}
	if neutral == 0 {
		t.Error("no neutral-titled notice alerted: detail pages were not read")
	}
	t.Logf("%d items, %d alerts, %d of them for neutral titles", total, len(hook.bodies()), neutral)
}

func connectJS(t *testing.T, cfg *config.Config) jetstream.JetStream {
	t.Helper()
	var nc *nats.Conn
	waitFor(t, 30*time.Second, "the embedded server", func() bool {
		var err error
		nc, err = nats.Connect("nats://" + *cfg.NATS.Listen)
		return err == nil
	})
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func streamMsgs(t *testing.T, js jetstream.JetStream, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, name)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// drained reports whether a durable consumer has acknowledged everything.
func drained(t *testing.T, js jetstream.JetStream, stream, consumer string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0
}

// waitFor polls cond until it holds; the limit only turns a hang into a failure.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runDaemon builds the daemon from cfg and runs it until the test ends,
// failing the test if Run returns an error.
func runDaemon(t *testing.T, cfg *config.Config, logger *slog.Logger) *app.App {
	t.Helper()
	a, err := app.Build(cfg, logger, io.Discard, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return a
}
