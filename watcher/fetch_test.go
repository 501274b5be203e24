package watcher

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const feedBody = `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>质量</title></channel></rss>`

// serve starts an httptest server for h, closed when the test ends.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// conditional answers 304 when the request's validators match etag or
// lastModified, else 200 with feedBody and both validators.
func conditional(etag, lastModified string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if (etag != "" && r.Header.Get("If-None-Match") == etag) ||
			(lastModified != "" && r.Header.Get("If-Modified-Since") == lastModified) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		if lastModified != "" {
			w.Header().Set("Last-Modified", lastModified)
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		_, _ = w.Write([]byte(feedBody))
	}
}

func TestFetchConditional(t *testing.T) {
	const lm = "Fri, 15 Mar 2024 02:00:00 GMT"
	tests := []struct {
		name           string
		etag, modified string
		want           Validators
	}{
		{"etag", `"v1-abc"`, "", Validators{ETag: `"v1-abc"`}},
		{"weak etag", `W/"v2"`, "", Validators{ETag: `W/"v2"`}},
		{"last-modified", "", lm, Validators{LastModified: lm}},
		{"both", `"v3"`, lm, Validators{ETag: `"v3"`, LastModified: lm}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, conditional(tt.etag, tt.modified))
			var f Fetcher
			first, err := f.Fetch(t.Context(), srv.URL, Validators{})
			if err != nil {
				t.Fatalf("first fetch: %v", err)
			}
			if first.NotModified || first.Status != 200 || string(first.Body) != feedBody {
				t.Fatalf("first fetch = %+v", first)
			}
			if first.Validators != tt.want {
				t.Fatalf("validators = %+v, want %+v", first.Validators, tt.want)
			}
			if first.ContentType != "application/rss+xml; charset=utf-8" {
				t.Errorf("content type = %q", first.ContentType)
			}
			second, err := f.Fetch(t.Context(), srv.URL, first.Validators)
			if err != nil {
				t.Fatalf("second fetch: %v", err)
			}
			if !second.NotModified || second.Status != 304 || len(second.Body) != 0 {
				t.Fatalf("second fetch = %+v, want not modified", second)
			}
			if second.Validators != first.Validators {
				t.Errorf("304 validators = %+v, want the previous %+v", second.Validators, first.Validators)
			}
		})
	}
}

func TestFetchNotModifiedUpdatesValidators(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != `"old"` || r.Header.Get("If-Modified-Since") != "Mon, 01 Jan 2024 00:00:00 GMT" {
			t.Errorf("request validators = %q, %q", r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"))
		}
		w.Header().Set("ETag", `"new"`)
		w.WriteHeader(http.StatusNotModified)
	})
	var f Fetcher
	resp, err := f.Fetch(t.Context(), srv.URL, Validators{ETag: `"old"`, LastModified: "Mon, 01 Jan 2024 00:00:00 GMT"})
	if err != nil {
		t.Fatal(err)
	}
	want := Validators{ETag: `"new"`, LastModified: "Mon, 01 Jan 2024 00:00:00 GMT"}
	if !resp.NotModified || resp.Validators != want {
		t.Errorf("resp = %+v, want not modified with %+v", resp, want)
	}
}

func TestFetchHeaders(t *testing.T) {
	var got http.Header
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		_, _ = w.Write([]byte(feedBody))
	})
	tests := []struct {
		name    string
		fetcher Fetcher
		wantUA  string
	}{
		{"default user agent", Fetcher{}, "qualitywatch/"},
		{"configured user agent", Fetcher{UserAgent: "qualitywatch/1.2.3 (+https://example.org)"}, "qualitywatch/1.2.3 (+https://example.org)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.fetcher.Fetch(t.Context(), srv.URL, Validators{}); err != nil {
				t.Fatal(err)
			}
			if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, tt.wantUA) || !strings.Contains(ua, "qualitywatch") {
				t.Errorf("User-Agent = %q, want prefix %q", ua, tt.wantUA)
			}
			if a := got.Get("Accept"); !strings.Contains(a, "application/rss+xml") || !strings.Contains(a, "application/atom+xml") {
				t.Errorf("Accept = %q", a)
			}
			if got.Get("If-None-Match") != "" || got.Get("If-Modified-Since") != "" {
				t.Errorf("unconditional fetch sent validators: %v", got)
			}
		})
	}
}

func TestFetchHTTPErrors(t *testing.T) {
	date := time.Now().Add(90 * time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantMin    time.Duration
		wantMax    time.Duration
	}{
		{"429 with seconds", http.StatusTooManyRequests, "120", 120 * time.Second, 120 * time.Second},
		{"429 with http date", http.StatusTooManyRequests, date, 88 * time.Minute, 91 * time.Minute},
		{"503 with seconds", http.StatusServiceUnavailable, "30", 30 * time.Second, 30 * time.Second},
		{"503 without retry-after", http.StatusServiceUnavailable, "", 0, 0},
		{"404", http.StatusNotFound, "", 0, 0},
		{"500 with garbage retry-after", http.StatusInternalServerError, "soon", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, "go away", tt.status)
			})
			var f Fetcher
			_, err := f.Fetch(t.Context(), srv.URL+"/feed.xml?token=s3cret&id=7", Validators{})
			var he *HTTPError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want *HTTPError", err)
			}
			if he.Status != tt.status {
				t.Errorf("status = %d, want %d", he.Status, tt.status)
			}
			if he.RetryAfter < tt.wantMin || he.RetryAfter > tt.wantMax {
				t.Errorf("RetryAfter = %v, want in [%v, %v]", he.RetryAfter, tt.wantMin, tt.wantMax)
			}
			if strings.Contains(err.Error(), "s3cret") || !strings.Contains(he.URL, "id=7") || !strings.Contains(he.URL, "token=redacted") {
				t.Errorf("URL not redacted as expected: %q (%v)", he.URL, err)
			}
		})
	}
}

func TestFetchBodyLimits(t *testing.T) {
	big := bytes.Repeat([]byte("质"), 400) // 1200 bytes
	tests := []struct {
		name    string
		handler http.HandlerFunc
		max     int64
		wantErr string
		want    []byte
	}{
		{"content-length over the cap", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(big) }, 1000, "body exceeds 1000 bytes", nil},
		{"chunked body over the cap", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 4; i++ {
				_, _ = w.Write(big[:300])
				w.(http.Flusher).Flush()
			}
		}, 1000, "body exceeds 1000 bytes", nil},
		{"body at the cap", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(big[:999]) }, 999, "", big[:999]},
		{"gzip within the cap", gzipHandler(big, true), 2000, "", big},
		{"gzip decoded size over the cap", gzipHandler(bytes.Repeat([]byte("a"), 50000), true), 10000, "body exceeds 10000 bytes", nil},
		{"gzip body without content-encoding", gzipHandler(big, false), 2000, "", big},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			f := Fetcher{MaxBytes: tt.max}
			resp, err := f.Fetch(t.Context(), srv.URL, Validators{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(resp.Body, tt.want) {
				t.Errorf("body = %d bytes, want %d", len(resp.Body), len(tt.want))
			}
		})
	}
}

// gzipHandler serves body gzipped, announcing it with Content-Encoding when
// header is true (the transport then undoes it), or not (as a misconfigured
// server serving a .gz file does).
func gzipHandler(body []byte, header bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if header {
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				_, _ = w.Write(body)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
		}
		_, _ = w.Write(buf.Bytes())
	}
}

func TestFetchTimeout(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	tests := []struct {
		name string
		f    Fetcher
		ctx  func(t *testing.T) context.Context
	}{
		{"fetcher timeout", Fetcher{Timeout: 50 * time.Millisecond}, func(t *testing.T) context.Context { return t.Context() }},
		{"context deadline", Fetcher{}, func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.f.Fetch(tt.ctx(t), srv.URL, Validators{})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
		})
	}
}

func TestFetchRedirect(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new.xml", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new.xml", conditional(`"n1"`, ""))
	srv := serve(t, mux.ServeHTTP)
	var f Fetcher
	resp, err := f.Fetch(t.Context(), srv.URL+"/old.xml", Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinalURL != srv.URL+"/new.xml" || string(resp.Body) != feedBody || resp.Validators.ETag != `"n1"` {
		t.Errorf("resp = %+v", resp)
	}
}

func TestFetchTransportErrorRedactsURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "http://user:pa55word@" + strings.TrimPrefix(srv.URL, "http://") + "/feed?api_key=k3y"
	srv.Close() // connection refused from now on
	var f Fetcher
	_, err := f.Fetch(t.Context(), url, Validators{})
	if err == nil {
		t.Fatal("fetch from a closed server succeeded")
	}
	for _, secret := range []string{"pa55word", "k3y"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q: %v", secret, err)
		}
	}
}

// TestFeedClientBoundsConnectionsPerHost: polls due together share a few
// connections to their host, kept open for the next polls.
func TestFeedClientBoundsConnectionsPerHost(t *testing.T) {
	const perHost, polls, rounds = 2, 20, 3
	var (
		mu               sync.Mutex
		opened, inFlight int
		most             int
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		conditional(`"v1"`, "")(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	f := &Fetcher{Client: NewFeedClient(perHost)}
	for range rounds {
		var wg sync.WaitGroup
		for range polls {
			wg.Go(func() {
				if _, err := f.Fetch(t.Context(), srv.URL, Validators{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	mu.Lock()
	defer mu.Unlock()
	if opened > perHost || most > perHost {
		t.Errorf("%d rounds of %d polls opened %d connections, %d requests at once; want at most %d of each", rounds, polls, opened, most, perHost)
	}
}

// TestFeedClientSaysWhenNoTurn: a poll that times out waiting for its turn
// at a busy host says so, instead of reading as the site being slow.
func TestFeedClientSaysWhenNoTurn(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		conditional(`"v1"`, "")(w, r)
	}))
	t.Cleanup(srv.Close)
	f := &Fetcher{Client: NewFeedClient(1)}
	first := make(chan error, 1)
	go func() {
		_, err := f.Fetch(t.Context(), srv.URL, Validators{})
		first <- err
	}()
	<-arrived // the host's one turn is taken

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.Fetch(ctx, srv.URL+"/other", Validators{})
	close(release)
	if err == nil || !strings.Contains(err.Error(), "no turn at 127.0.0.1: requests in flight at the limit (1)") || !errors.Is(err, context.Canceled) {
		t.Errorf("a poll with no turn: %v; want it to say it got no turn at the host, wrapping the context's error", err)
	}
	if got, want := Reason(err), "no turn at 127.0.0.1 in time: requests in flight at the limit (1)"; got != want {
		t.Errorf("its reason: %q; want %q", got, want)
	}
	if err := <-first; err != nil {
		t.Errorf("the poll holding the turn: %v", err)
	}
}
