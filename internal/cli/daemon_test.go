package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMainDispatch(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{"version", []string{"version"}, 0, "qualitywatch ", ""},
		{"no command", nil, 2, "", "Commands:"},
		{"unknown", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"run without config", []string{"run"}, 2, "", "--config FILE is required"},
		{"bad flag", []string{"check", "--nope"}, 2, "", "flag provided but not defined"},
		{"config without verb", []string{"config"}, 2, "", "config validate --config FILE"},
		{"missing config file", []string{"config", "validate", "--config", "/nonexistent.yaml"}, 1, "", "read config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main(t.Context(), tt.args, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut})
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			if !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errOut.String(), tt.inStderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", out.String(), errOut.String(), tt.inStdout, tt.inStderr)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	out, _, err := runCmd(t, cmdConfig, "", "validate", "--config", "../../deploy/qualitywatch.example.yaml")
	if err != nil || !strings.Contains(out, "ok (9 sources, 1 notifiers)") {
		t.Fatalf("example config: %q, %v", out, err)
	}
	bad := writeConfig(t, "notifiers:\n  - name: t\n    type: console\n    match: {categories: [samplng]}\n    template: /nonexistent.tmpl\n")
	_, _, err = runCmd(t, cmdConfig, "", "validate", "--config", bad)
	if err == nil || !strings.Contains(err.Error(), "notifiers[0].template") {
		t.Fatalf("bad config: %v", err)
	}
}

func TestCheckPrintsVerdictsAndPublishesNothing(t *testing.T) {
	feed, err := os.ReadFile("../../watcher/testdata/rss2_gb18030.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/404" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write(feed)
	}))
	defer srv.Close()
	p := writeConfig(t, fmt.Sprintf("nats: {store_dir: %q}\nsources:\n  - {name: zibo, url: %q}\n  - {name: gone, url: %q}\n",
		filepath.Join(t.TempDir(), "nats"), srv.URL, srv.URL+"/404"))
	out, _, err := runCmd(t, cmdCheck, "", "--config", p, "zibo")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	if !strings.Contains(out, "== zibo: 2 items") || !strings.Contains(out, "淄博市2024年第二季度产品质量监督抽查结果通告") || !strings.Contains(out, "✔") {
		t.Errorf("check output:\n%s", out)
	}
	out, _, err = runCmd(t, cmdCheck, "", "--config", p, "--json", "zibo")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !json.Valid([]byte(lines[0])) {
		t.Errorf("check --json output:\n%s", out)
	}
	out, _, err = runCmd(t, cmdCheck, "", "--config", p)
	if err == nil || !strings.Contains(out, "== gone:") || !strings.Contains(err.Error(), "1 of 2 sources failed") {
		t.Errorf("a failing source: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "nats")); !os.IsNotExist(err) {
		t.Errorf("check touched the store: %v", err)
	}
}

func TestNotifyTest(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusOK
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "invalid_token")
	}))
	defer srv.Close()
	p := writeConfig(t, fmt.Sprintf("notifiers:\n  - {name: team, type: slack, webhook_url: %q}\n", srv.URL+"/services/T/B/very-secret"))
	out, _, err := runCmd(t, cmdNotify, "", "test", "--config", p, "team")
	if err != nil || !strings.Contains(out, "accepted the sample alert") || !bytes.Contains(got, []byte("测试")) {
		t.Fatalf("notify test: %q, %v, target got %s", out, err, got)
	}
	mu.Lock()
	status = http.StatusForbidden
	mu.Unlock()
	_, _, err = runCmd(t, cmdNotify, "", "test", "--config", p, "team")
	if err == nil || !strings.Contains(err.Error(), "permanent") || strings.Contains(err.Error(), "very-secret") {
		t.Fatalf("403: %v (want permanent, no secret)", err)
	}
	_, _, err = runCmd(t, cmdNotify, "", "test", "--config", p, "nobody")
	if err == nil || !strings.Contains(err.Error(), `no notifier "nobody"`) {
		t.Fatalf("unknown notifier: %v", err)
	}
}

func TestReplaySendsDeadLetters(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	p := writeConfig(t, fmt.Sprintf("nats: {listen: \"\", store_dir: %q}\nhttp: {listen: \"\"}\nnotifiers:\n  - {name: hook, type: webhook, url: %q}\n",
		filepath.Join(t.TempDir(), "nats"), srv.URL))
	cfg, err := config.Load(p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// Put one dead letter in the store, as the daemon would have.
	conn, err := app.ConnectNATS(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a := SampleAlert(timeNow())
	body, _ := json.Marshal(a)
	m := &nats.Msg{Subject: bus.DeadLetterSubject("hook"), Data: body, Header: nats.Header{}}
	m.Header.Set(bus.HeaderReason, "permanent failure (status 400): bad request")
	m.Header.Set(bus.HeaderNotifier, "hook")
	if _, err := conn.JS.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCmd(t, cmdReplay, "", "--config", p, "--notifier", "hook")
	if err != nil || !strings.Contains(out, "1 dead letters sent") {
		t.Fatalf("replay: %q, %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], a.ID) {
		t.Fatalf("target got %v", bodies)
	}
	out, _, err = runCmd(t, cmdReplay, "", "--config", p, "--notifier", "hook")
	if err != nil || !strings.Contains(out, "0 dead letters sent") {
		t.Fatalf("second replay: %q, %v (the first should have removed the dead letter)", out, err)
	}
}

func timeNow() time.Time { return time.Now() }
