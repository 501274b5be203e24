package app_test

// One notice, one alert: a notice posted on a province, a city and a
// district feed alerts once, the copies listed as also; near-identical
// notices (第5期, 第6期) stay two; a guid that changes, a link that gains
// tracking parameters and moves to https alert nothing; a corrected title
// gives exactly one update.

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
)

// feeds serves several RSS feeds whose items the test sets.
type feeds struct {
	mu    sync.Mutex
	items map[string][]string
	srv   *httptest.Server
}

func newFeeds(t *testing.T) *feeds {
	f := &feeds{items: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>`+strings.Join(f.items[r.URL.Path], "")+`</channel></rss>`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feeds) set(path string, items ...string) {
	f.mu.Lock()
	f.items[path] = items
	f.mu.Unlock()
}

func rssItem(guid, title, link, text string) string {
	return fmt.Sprintf("<item><guid>%s</guid><title><![CDATA[%s]]></title><link>%s</link><description><![CDATA[%s]]></description></item>",
		guid, title, strings.ReplaceAll(link, "&", "&amp;"), text)
}

const sampling = "根据《中华人民共和国食品安全法》及其实施条例等有关规定，山东省市场监督管理局组织食品安全监督抽检，抽取粮食加工品、食用油、油脂及其制品、调味品、肉制品、乳制品等18大类食品757批次样品，根据食品安全国家标准检验和判定，抽样检验合格755批次、不合格2批次。不合格产品涉及菌落总数超标、铝的残留量超标等问题。"

func TestOneNoticeOneAlertThroughTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	f := newFeeds(t)
	hook := newReceiver(t, "hook", "", nil, nil)
	follow := newReceiver(t, "follow", "", nil, nil)
	httpAddr := freePort(t)
	conf := fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: %q}
watch: {schedule: "@every 1s", jitter: 0s}
sources:
  - {name: province, url: "%s/p.xml"}
  - {name: city, url: "%s/c.xml"}
  - {name: district, url: "%s/d.xml"}
notifiers:
  - {name: hook, type: webhook, url: %q}
  - {name: follow, type: webhook, url: %q, events: [alerts, reposts]}
`, freePort(t), t.TempDir(), httpAddr, f.srv.URL, f.srv.URL, f.srv.URL, hook.srv.URL, follow.srv.URL)
	cfg, err := config.Parse([]byte(conf), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatal(err)
	}
	runDaemon(t, cfg, testLogger(t))
	base := "http://" + httpAddr
	// Every source's baseline taken (empty feeds).
	waitFor(t, 30*time.Second, "baselines", func() bool { return polledOnce(t, base, 3) })
	alerts := func(r *receiver) []alert.Alert {
		var out []alert.Alert
		for _, b := range r.bodies() {
			var al alert.Alert
			if err := json.Unmarshal([]byte(b), &al); err != nil {
				t.Fatal(err)
			}
			out = append(out, al)
		}
		return out
	}
	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	f.set("/p.xml", rssItem("p5", title, "http://amr.shandong.example/tzgg/t5.html", sampling))
	waitFor(t, 30*time.Second, "the province's alert", func() bool { return len(hook.bodies()) == 1 })
	f.set("/c.xml", rssItem("c5", "转发："+title, "http://weifang.example/zwgk/5.html", "来源：潍坊市市场监督管理局 "+sampling))
	f.set("/d.xml", rssItem("d5", "【转载】"+title, "http://kuiwen.example/5.html", sampling+"（奎文区转发）"))
	waitFor(t, 30*time.Second, "both follow-ups", func() bool { return len(follow.bodies()) == 3 })
	// Near-identical notice, next issue: an alert of its own. Published last, it
	// is also the sentinel: delivery keeps stream order, so once it arrived
	// nothing published before it can still arrive.
	f.set("/p.xml", rssItem("p5", title, "http://amr.shandong.example/tzgg/t5.html", sampling),
		rssItem("p6", strings.Replace(title, "第5期", "第6期", 1), "http://amr.shandong.example/tzgg/t6.html", strings.Replace(sampling, "757", "802", 1)))
	waitFor(t, 30*time.Second, "the next issue's alert", func() bool { return len(hook.bodies()) == 2 })
	got := alerts(hook)
	if got[0].ID == got[1].ID || !strings.Contains(got[1].Title, "第6期") {
		t.Fatalf("alerts %v", got)
	}
	// Churn: the province's notice gets a new guid, https, tracking parameters.
	f.set("/p.xml", rssItem("p5-new-guid", title, "https://AMR.shandong.example/tzgg/t5.html?utm_source=rss&spm=a.b", sampling),
		rssItem("p6", strings.Replace(title, "第5期", "第6期", 1), "http://amr.shandong.example/tzgg/t6.html", strings.Replace(sampling, "757", "802", 1)))
	// Then its title is corrected: exactly one update.
	corrected := strings.Replace(title, "信息的通告", "信息的通告（更正）", 1)
	f.set("/p.xml", rssItem("p5-new-guid", corrected, "https://AMR.shandong.example/tzgg/t5.html?utm_source=rss&spm=a.b", sampling),
		rssItem("p6", strings.Replace(title, "第5期", "第6期", 1), "http://amr.shandong.example/tzgg/t6.html", strings.Replace(sampling, "757", "802", 1)))
	waitFor(t, 30*time.Second, "the update", func() bool { return len(hook.bodies()) >= 3 })
	got = alerts(hook)
	if up := got[2]; up.UpdateOf != got[0].ID || !strings.Contains(up.Title, "更正") {
		t.Errorf("update %+v: want update_of %s", up, got[0].ID)
	}
	// A sentinel after it: nothing else came before it.
	f.set("/c.xml", rssItem("c5", "转发："+title, "http://weifang.example/zwgk/5.html", "来源：潍坊市市场监督管理局 "+sampling),
		rssItem("sentinel", "潍坊市市场监管局关于2026年儿童玩具产品质量监督抽查结果的通告", "http://weifang.example/zwgk/toys.html", "抽查儿童玩具产品60批次，不合格4批次。"))
	waitFor(t, 30*time.Second, "the sentinel", func() bool { return len(hook.bodies()) >= 4 })
	got = alerts(hook)
	if len(got) != 4 || !strings.Contains(got[3].Title, "儿童玩具") {
		var titles []string
		for _, a := range got {
			titles = append(titles, a.Title)
		}
		t.Fatalf("alerts %q: want the notice, the next issue, one update and the sentinel", titles)
	}
	// The status API lists the copies.
	var api struct {
		Alerts []struct {
			ID        string
			Also      []alert.Also
			Delivered []string
		}
	}
	if err := getJSON(t, base+"/api/v1/alerts", &api); err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, al := range api.Alerts {
		if al.ID != got[0].ID {
			continue
		}
		listed = true
		if len(al.Also) != 2 {
			t.Errorf("status API lists %d copies of the notice, want 2", len(al.Also))
		}
		if strings.Join(al.Delivered, ",") != "follow,hook" {
			t.Errorf("status API says the notice was delivered by %v, want follow and hook", al.Delivered)
		}
	}
	if !listed {
		t.Errorf("status API does not list the notice %s", got[0].ID)
	}
	// The opted-in notifier got the follow-ups, the last naming both copies.
	fl := alerts(follow)
	var last alert.Alert
	for _, a := range fl {
		if a.AlsoOf != "" {
			last = a
		}
	}
	if last.AlsoOf != got[0].ID || len(last.Also) != 2 {
		t.Errorf("follow-up %+v: want both copies", last)
	}
}

// testLogger logs at debug level into a buffer that is printed when the
// test fails.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	var mu sync.Mutex
	var buf strings.Builder
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			defer mu.Unlock()
			t.Logf("daemon log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
