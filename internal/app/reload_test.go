package app_test

// Reload without a restart: a source and a notifier added, a source
// removed, without re-alerting; a broken config is refused and the running
// one keeps alerting.

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
)

func TestReloadAddsAndRemovesWithoutReAlerting(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	f := newFeeds(t)
	first := newReceiver(t, "first", "", nil, nil)
	second := newReceiver(t, "second", "", nil, nil)
	natsAddr, store, httpAddr := freePort(t), t.TempDir(), freePort(t)
	conf := func(sources, notifiers string) *config.Config {
		t.Helper()
		cfg, err := config.Parse([]byte(fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: %q}
watch: {schedule: "@every 1s", jitter: 0s}
sources:
%s
notifiers:
%s
`, natsAddr, store, httpAddr, sources, notifiers)), func(string) string { return "" }, ".")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	a1 := fmt.Sprintf("  - {name: a, url: \"%s/a.xml\"}", f.srv.URL)
	b1 := fmt.Sprintf("  - {name: b, url: \"%s/b.xml\"}", f.srv.URL)
	n1 := fmt.Sprintf("  - {name: first, type: webhook, url: %q}", first.srv.URL)
	n2 := fmt.Sprintf("  - {name: second, type: webhook, url: %q}", second.srv.URL)

	f.set("/a.xml", rssItem("a1", "潍坊市市场监管局发布食品安全监督抽检信息", "http://a.example/1", "抽检食品120批次，不合格3批次。"))
	f.set("/b.xml", rssItem("b0", "青岛市市场监管局发布儿童玩具召回信息", "http://b.example/0", "召回存在缺陷的儿童电动玩具2000件。"))
	a := runDaemon(t, conf(a1, n1), slog.New(slog.NewTextHandler(io.Discard, nil)))
	base := "http://" + httpAddr
	waitFor(t, 30*time.Second, "source a's baseline", func() bool { return polledOnce(t, base, 1) })

	// Add source b and notifier second.
	if err := a.Reload(t.Context(), conf(a1+"\n"+b1, n1+"\n"+n2), io.Discard); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "source b's baseline", func() bool { return polledOnce(t, base, 2) })
	// b's item at first sight did not alert; a new one on b does, to both.
	f.set("/b.xml", rssItem("b1", "青岛市市场监管局发布电线电缆产品质量监督抽查结果", "http://b.example/1", "抽查电线电缆80批次，不合格12批次。"),
		rssItem("b0", "青岛市市场监管局发布儿童玩具召回信息", "http://b.example/0", "召回存在缺陷的儿童电动玩具2000件。"))
	waitFor(t, 30*time.Second, "b's new item at both notifiers", func() bool { return len(first.bodies()) == 1 && len(second.bodies()) == 1 })

	// A broken config is refused; the running one keeps alerting.
	broken := conf(a1+"\n"+b1, n1+"\n"+n2)
	broken.Notifiers[0].Match = &config.Filter{Categories: []string{"no-such-category"}}
	if err := a.Reload(t.Context(), broken, io.Discard); err == nil || !strings.Contains(err.Error(), "no-such-category") {
		t.Fatalf("broken config: %v, want it refused naming the problem", err)
	}
	// Remove source a and notifier second; b keeps alerting to first only.
	if err := a.Reload(t.Context(), conf(b1, n1), io.Discard); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "source a gone from the status", func() bool { _, ok := sourceStates(t, base)["a"]; return !ok })
	f.set("/b.xml", rssItem("b2", "青岛市市场监管局关于2026年第3期食品安全监督抽检信息的通告", "http://b.example/2", "抽检食品300批次，不合格6批次。"),
		rssItem("b1", "青岛市市场监管局发布电线电缆产品质量监督抽查结果", "http://b.example/1", "抽查电线电缆80批次，不合格12批次。"),
		rssItem("b0", "青岛市市场监管局发布儿童玩具召回信息", "http://b.example/0", "召回存在缺陷的儿童电动玩具2000件。"))
	waitFor(t, 30*time.Second, "b's second new item at first", func() bool { return len(first.bodies()) == 2 })
	if n := len(second.bodies()); n != 1 {
		t.Errorf("the removed notifier got %d alerts, want only the one before its removal", n)
	}
	for _, b := range first.bodies() {
		if strings.Contains(b, "儿童玩具召回") || strings.Contains(b, "潍坊") {
			t.Errorf("re-alerted or baseline item: %s", b)
		}
	}
}
