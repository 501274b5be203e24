package watcher_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/watcher"
)

func TestGuardRefusesInternalAddresses(t *testing.T) {
	var internalHits atomic.Int32
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		_, _ = w.Write([]byte("secret"))
	}))
	t.Cleanup(internal.Close)
	iu, _ := url.Parse(internal.URL)
	// The site is 127.0.0.1; "localhost" names the same machine by another
	// name, so it is not the source's own host.
	viaName := "http://localhost:" + iu.Port() + "/"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, viaName, http.StatusFound)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	}))
	t.Cleanup(site.Close)
	su, _ := url.Parse(site.URL)

	fetch := func(allowPrivate bool, link string) error {
		f := &watcher.Fetcher{Client: watcher.NewClient(watcher.ClientOptions{
			Guard: &watcher.Guard{OwnHost: su.Hostname(), AllowPrivate: allowPrivate},
		})}
		_, err := f.Fetch(t.Context(), link, watcher.Validators{})
		return err
	}
	tests := []struct {
		name  string
		link  string
		allow bool
		ok    bool
	}{
		{"own host", site.URL + "/page", false, true},
		{"own host name on another port", internal.URL + "/", false, true},
		{"loopback by another name", viaName, false, false},
		{"redirect to loopback", site.URL + "/redirect", false, false},
		{"private", "http://10.1.2.3:8080/", false, false},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/", false, false},
		{"carrier-grade NAT", "http://100.64.0.1/", false, false},
		{"IPv6 loopback", "http://[::1]:" + iu.Port() + "/", false, false},
		{"IPv4-mapped IPv6", "http://[::ffff:10.0.0.1]/", false, false},
		{"allow_private", viaName, true, true},
		{"allow_private, redirect", site.URL + "/redirect", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := internalHits.Load()
			err := fetch(tt.allow, tt.link)
			if tt.ok {
				if err != nil {
					t.Fatalf("fetch %s: %v", tt.link, err)
				}
				return
			}
			var re *watcher.RefusedError
			if !errors.As(err, &re) {
				t.Fatalf("fetch %s: err = %v, want a refusal", tt.link, err)
			}
			if internalHits.Load() != before {
				t.Error("the internal server was reached")
			}
			if !strings.Contains(err.Error(), "allow_private") {
				t.Errorf("the refusal should say how to allow it: %v", err)
			}
		})
	}
}

func TestHostLimiterOneAtATimeWithDelay(t *testing.T) {
	const delay = 50 * time.Millisecond
	var mu sync.Mutex
	var inFlight, most int
	var starts []time.Time
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		starts = append(starts, time.Now())
		mu.Unlock()
		_, _ = w.Write([]byte("page"))
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	t.Cleanup(site.Close)
	f := &watcher.Fetcher{Client: watcher.NewClient(watcher.ClientOptions{Polite: &watcher.HostLimiter{Delay: delay}})}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if _, err := f.Fetch(t.Context(), site.URL+"/"+string(rune('a'+i)), watcher.Validators{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d requests at once to one host, want 1", most)
	}
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < delay {
			t.Errorf("request %d started %s after the previous, want at least %s", i, gap, delay)
		}
	}
	// A cancelled wait gives up its turn.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := f.Fetch(ctx, site.URL, watcher.Validators{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fetch: %v", err)
	}
}

func TestCookiePreflight(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err != nil || c.Value != "ok" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "ok", Path: "/"})
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte("<html>list</html>"))
	}))
	t.Cleanup(site.Close)
	jar := newJar(t)
	f := &watcher.Fetcher{Client: watcher.NewClient(watcher.ClientOptions{Jar: jar})}
	resp, err := f.Fetch(t.Context(), site.URL, watcher.Validators{})
	if err != nil || string(resp.Body) != "<html>list</html>" {
		t.Fatalf("fetch after a cookie pre-flight: %v %q", err, resp.Body)
	}
}

func TestChallengeIsNamed(t *testing.T) {
	for _, tt := range []struct {
		status int
		body   string
		want   bool
	}{
		{412, `<html><script>$_ts=window['$_ts'];</script></html>`, true},
		{521, `<script>document.cookie='__jsl_clearance=1'</script>`, true},
		{200, `<html><body>请稍候，安全验证中…</body></html>`, true},
		{200, `<html><body><ul><li><a href="/a">通知</a></li></ul></body></html>`, false},
		{404, `not found`, false},
	} {
		if got := watcher.IsChallenge(tt.status, []byte(tt.body)); got != tt.want {
			t.Errorf("IsChallenge(%d, %q) = %v", tt.status, tt.body, got)
		}
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(412)
		_, _ = w.Write([]byte(`<html><script>$_ts=window['$_ts'];</script></html>`))
	}))
	t.Cleanup(site.Close)
	_, err := (&watcher.Fetcher{}).Fetch(t.Context(), site.URL, watcher.Validators{})
	var he *watcher.HTTPError
	if !errors.As(err, &he) || !he.Challenge || !strings.Contains(err.Error(), "firewall") {
		t.Errorf("412 challenge: %v", err)
	}
}

func newJar(t *testing.T) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}
