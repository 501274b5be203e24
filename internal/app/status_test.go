package app_test

// The daemon with sources that go wrong in each way, an ops notifier for
// health events, and the status page: states are named, published once,
// shown, and dead letters can be dropped or replayed with the token only.

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
)

// troubled is a site with one healthy feed, one that fails until told
// otherwise, and one behind a WAF challenge.
type troubled struct {
	srv    *httptest.Server
	broken atomic.Bool
}

func newTroubled(t *testing.T) *troubled {
	tr := &troubled{}
	tr.broken.Store(true)
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/flaky.xml":
			if tr.broken.Load() {
				http.Error(w, "down", http.StatusInternalServerError)
				return
			}
			fallthrough
		case "/good.xml":
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>`+
				`<item><guid>a1</guid><title>潍坊市市场监管局发布食品安全监督抽检信息</title><link>http://example.org/a1.html</link>`+
				`<description>抽检食品样品120批次，不合格3批次。</description></item></channel></rss>`)
		case "/waf.html":
			w.WriteHeader(http.StatusPreconditionFailed)
			fmt.Fprint(w, `<html><script>$_ts=window['$_ts']||{};</script></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(tr.srv.Close)
	return tr
}

// statusDaemon runs the daemon with the troubled sources, an ops webhook
// for health events and an alerts webhook that refuses everything (dead
// letters).
func statusDaemon(t *testing.T, token string) (base string, tr *troubled, ops, refused *receiver) {
	t.Helper()
	tr = newTroubled(t)
	ops = newReceiver(t, "ops", "", nil, nil)
	refused = newReceiver(t, "refused", "", nil, func(_ int, w http.ResponseWriter) bool {
		http.Error(w, "invalid", http.StatusBadRequest)
		return true
	})
	httpAddr := freePort(t)
	conf := fmt.Sprintf(`nats: {listen: %q, store_dir: %q}
http: {listen: %q, token: %q}
watch: {schedule: "@every 1s", jitter: 0s, failure_threshold: 2}
sources:
  - {name: good, url: "%s/good.xml", baseline: false}
  - {name: flaky, url: "%s/flaky.xml"}
  - {name: walled, type: html, url: "%s/waf.html", select: {item: li}}
notifiers:
  - {name: ops, type: webhook, url: %q, events: [health]}
  - {name: refused, type: webhook, url: %q, retry: {max_attempts: 1}}
`, freePort(t), t.TempDir(), httpAddr, token, tr.srv.URL, tr.srv.URL, tr.srv.URL, ops.srv.URL, refused.srv.URL)
	cfg, err := config.Parse([]byte(conf), func(string) string { return "" }, ".")
	if err != nil {
		t.Fatal(err)
	}
	runDaemon(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return "http://" + httpAddr, tr, ops, refused
}

func getJSON(t *testing.T, url string, v any) error {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

type apiSources struct {
	Sources []struct {
		Name, State, LastError string
		Failures               int
		LastOK                 *time.Time `json:"last_ok"`
	}
}

// polledOnce reports whether every one of n sources has had a successful
// poll (so its baseline is taken).
func polledOnce(t *testing.T, base string, n int) bool {
	var s apiSources
	if getJSON(t, base+"/api/v1/sources", &s) != nil || len(s.Sources) != n {
		return false
	}
	for _, src := range s.Sources {
		if src.LastOK == nil {
			return false
		}
	}
	return true
}

func sourceStates(t *testing.T, base string) map[string]string {
	var s apiSources
	if err := getJSON(t, base+"/api/v1/sources", &s); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, src := range s.Sources {
		out[src.Name] = src.State
	}
	return out
}

func healthOf(t *testing.T, bodies []string) []string {
	var out []string
	for _, b := range bodies {
		var m struct {
			Schema string
			Health *alert.Health
			Title  string
		}
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatalf("ops got %q: %v", b, err)
		}
		if m.Health == nil {
			t.Fatalf("ops got something that is not a health event: %s", b)
		}
		out = append(out, m.Health.Source+":"+m.Health.State)
	}
	return out
}

func TestHealthReachesOpsAndTheStatusPage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	base, tr, ops, refused := statusDaemon(t, "s3cret")
	waitFor(t, 60*time.Second, "flaky failing and walled blocked", func() bool {
		st := sourceStates(t, base)
		return st["good"] == "ok" && st["flaky"] == "failing" && st["walled"] == "blocked"
	})
	waitFor(t, 30*time.Second, "both events at the ops notifier", func() bool { return len(ops.bodies()) >= 2 })
	tr.broken.Store(false)
	waitFor(t, 60*time.Second, "flaky recovered", func() bool { return sourceStates(t, base)["flaky"] == "ok" })
	waitFor(t, 30*time.Second, "the recovery at the ops notifier", func() bool { return len(ops.bodies()) >= 3 })
	got := strings.Join(healthOf(t, ops.bodies()), " ")
	for _, want := range []string{"flaky:failing", "walled:blocked", "flaky:ok"} {
		if strings.Count(got, want) != 1 {
			t.Errorf("ops got %q: want %s exactly once", got, want)
		}
	}
	// Health never leaks to alert notifiers.
	for _, b := range refused.bodies() {
		if strings.Contains(b, `"health"`) {
			t.Errorf("an alert notifier got a health event: %s", b)
		}
	}
	// The page names each state, translated by default and as in the schema with ?lang=en.
	for lang, words := range map[string][]string{"": {"运行状态", "被防火墙拦截", "正常"}, "?lang=en": {"blocked", "ok", "Dead letters"}} {
		resp, err := http.Get(base + "/" + lang)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range words {
			if !strings.Contains(string(body), w) {
				t.Errorf("page%s lacks %q", lang, w)
			}
		}
		if strings.Contains(string(body), "https://cdn") || strings.Contains(string(body), "<script src=") {
			t.Error("the page loads something from elsewhere")
		}
	}
}

func TestDeadLetterActionsNeedTheToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon")
	}
	base, _, _, _ := statusDaemon(t, "s3cret")
	var dl struct {
		Deadletters map[string][]struct{ Seq uint64 }
	}
	waitFor(t, 60*time.Second, "a dead letter", func() bool {
		return getJSON(t, base+"/api/v1/deadletters", &dl) == nil && len(dl.Deadletters["refused"]) > 0
	})
	seq := dl.Deadletters["refused"][0].Seq
	post := func(action, token string) int {
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/deadletters/refused/%d/%s", base, seq, action), nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("drop", ""); code != http.StatusUnauthorized {
		t.Errorf("drop without a token: %d", code)
	}
	if code := post("drop", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("drop with a wrong token: %d", code)
	}
	if code := post("replay", "s3cret"); code != http.StatusBadGateway {
		t.Errorf("replay to a target that refuses: %d, want 502 and the letter kept", code)
	}
	if code := post("drop", "s3cret"); code != http.StatusOK {
		t.Errorf("drop with the token: %d", code)
	}
	if code := post("drop", "s3cret"); code != http.StatusNotFound {
		t.Errorf("drop again: %d, want 404", code)
	}
}
