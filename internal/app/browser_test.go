package app_test

// The status page in a real browser: Debian's chromium, headless, driven
// through chromedriver's WebDriver protocol. It checks what the page shows
// (every source's true state) and an action (dropping a dead letter with
// the token typed into the page).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// webDriver is the little of the WebDriver protocol the test needs.
type webDriver struct {
	t       *testing.T
	base    string // chromedriver's URL
	session string
}

func (wd *webDriver) call(method, path string, body any) json.RawMessage {
	wd.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, wd.base+path, rd)
	if err != nil {
		wd.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		wd.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out struct{ Value json.RawMessage }
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusOK {
		wd.t.Fatalf("webdriver %s %s: %s %s", method, path, resp.Status, raw)
	}
	return out.Value
}

// elements finds elements by CSS selector, returning their ids.
func (wd *webDriver) elements(css string) []string {
	wd.t.Helper()
	var els []map[string]string
	_ = json.Unmarshal(wd.call(http.MethodPost, "/session/"+wd.session+"/elements", map[string]string{"using": "css selector", "value": css}), &els)
	var ids []string
	for _, e := range els {
		for _, id := range e {
			ids = append(ids, id)
		}
	}
	return ids
}

func (wd *webDriver) attr(el, name string) string {
	var s string
	_ = json.Unmarshal(wd.call(http.MethodGet, "/session/"+wd.session+"/element/"+el+"/attribute/"+name, nil), &s)
	return s
}

func (wd *webDriver) text(el string) string {
	var s string
	_ = json.Unmarshal(wd.call(http.MethodGet, "/session/"+wd.session+"/element/"+el+"/text", nil), &s)
	return s
}

// startBrowser starts chromedriver and a headless chromium session, or
// skips the test when they are not installed.
func startBrowser(t *testing.T) *webDriver {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (Debian: apt-get install chromium chromium-driver); the browser test needs it")
	}
	driver, err := exec.LookPath("chromedriver")
	if err != nil {
		t.Skip("chromedriver is not installed (Debian: apt-get install chromium-driver); the browser test needs it")
	}
	port := strings.TrimPrefix(freePort(t), "127.0.0.1:")
	cmd := exec.Command(driver, "--port="+port)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	wd := &webDriver{t: t, base: "http://127.0.0.1:" + port}
	waitFor(t, 30*time.Second, "chromedriver", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	args := []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	var sess struct{ SessionID string }
	raw := wd.call(http.MethodPost, "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome", "goog:chromeOptions": map[string]any{"binary": chromium, "args": args},
	}}})
	if err := json.Unmarshal(raw, &sess); err != nil || sess.SessionID == "" {
		t.Fatalf("no webdriver session: %s", raw)
	}
	wd.session = sess.SessionID
	t.Cleanup(func() {
		req, _ := http.NewRequest(http.MethodDelete, wd.base+"/session/"+wd.session, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return wd
}

func TestStatusPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole daemon and a browser")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		if _, err := exec.LookPath("chromium"); err != nil {
			t.Skip("chromium is not installed (Debian: apt-get install chromium chromium-driver); the browser test needs it")
		}
	}
	base, _, _, _ := statusDaemon(t, "s3cret")
	var dl struct {
		Deadletters map[string][]struct{ Seq uint64 }
	}
	waitFor(t, 60*time.Second, "failing, blocked and a dead letter", func() bool {
		st := sourceStates(t, base)
		return st["flaky"] == "failing" && st["walled"] == "blocked" && st["good"] == "ok" &&
			getJSON(t, base+"/api/v1/deadletters", &dl) == nil && len(dl.Deadletters["refused"]) > 0
	})
	wd := startBrowser(t)

	// English: each source's state by its schema name.
	wd.call(http.MethodPost, "/session/"+wd.session+"/url", map[string]string{"url": base + "/?lang=en"})
	want := map[string]string{"good": "ok", "flaky": "failing", "walled": "blocked"}
	rows := wd.elements("tr.source")
	if len(rows) != len(want) {
		t.Fatalf("%d source rows, want %d", len(rows), len(want))
	}
	for _, r := range rows {
		name, state := wd.attr(r, "data-source"), wd.attr(r, "data-state")
		if want[name] != state || !strings.Contains(wd.text(r), state) {
			t.Errorf("row %s shows state %q (%q), want %q", name, state, wd.text(r), want[name])
		}
	}
	if n := len(wd.elements("svg.chart")); n != 1 {
		t.Errorf("%d alert charts", n)
	}
	if n := len(wd.elements("tr.source svg.strip rect.poll")); n == 0 {
		t.Error("no poll marks drawn")
	}

	// Chinese by default.
	wd.call(http.MethodPost, "/session/"+wd.session+"/url", map[string]string{"url": base + "/"})
	if h := wd.elements("h1"); len(h) == 0 || !strings.Contains(wd.text(h[0]), "运行状态") {
		t.Error("the default page is not in Chinese")
	}
	// Drop a dead letter: type the token, click, and the letter is gone.
	letters := wd.elements("tr.deadletter")
	if len(letters) == 0 {
		t.Fatal("no dead letter shown")
	}
	seq := wd.attr(letters[0], "data-seq")
	tok := wd.elements("#token")
	if len(tok) != 1 {
		t.Fatal("no token field")
	}
	wd.call(http.MethodPost, "/session/"+wd.session+"/element/"+tok[0]+"/value", map[string]any{"text": "s3cret"})
	drop := wd.elements(fmt.Sprintf(`tr.deadletter[data-seq="%s"] button.drop`, seq))
	if len(drop) != 1 {
		t.Fatal("no drop button")
	}
	wd.call(http.MethodPost, "/session/"+wd.session+"/element/"+drop[0]+"/click", map[string]any{})
	waitFor(t, 30*time.Second, "the dead letter dropped", func() bool {
		var now struct {
			Deadletters map[string][]struct{ Seq uint64 }
		}
		if getJSON(t, base+"/api/v1/deadletters", &now) != nil {
			return false
		}
		for _, d := range now.Deadletters["refused"] {
			if fmt.Sprint(d.Seq) == seq {
				return false
			}
		}
		return true
	})
	if res := wd.elements("#action-result"); len(res) != 1 || !strings.HasPrefix(wd.text(res[0]), "200") {
		t.Errorf("the page did not report the action's result")
	}
}
