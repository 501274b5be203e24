package httpsend_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
)

const token = "xoxb-SECRET-TOKEN-1234567890"

// server answers every request with status, header and body, after
// recording the request body and headers.
func server(t *testing.T, status int, header http.Header, body string) (*httptest.Server, *http.Request, *[]byte) {
	t.Helper()
	got := new(http.Request)
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*got = *r.Clone(r.Context())
		gotBody, _ = io.ReadAll(r.Body)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		io.WriteString(w, strings.ReplaceAll(body, "{path}", r.URL.RequestURI()))
	}))
	t.Cleanup(srv.Close)
	return srv, got, &gotBody
}

func TestPostClassifies(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         http.Header
		body           string
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{"200 ok", 200, nil, "ok", false, false, 0},
		{"204 no content", 204, nil, "", false, false, 0},
		{"429 retry-after seconds", 429, http.Header{"Retry-After": {"30"}}, "rate_limited", true, false, 30 * time.Second},
		{"429 without retry-after", 429, nil, "slow down", true, false, 0},
		{"408 request timeout", 408, nil, "", true, false, 0},
		{"500", 500, nil, "boom", true, false, 0},
		{"503 retry-after", 503, http.Header{"Retry-After": {"7"}}, "maintenance", true, false, 7 * time.Second},
		{"400 invalid payload", 400, nil, "invalid_payload", true, true, 0},
		{"403", 403, nil, "action_prohibited", true, true, 0},
		{"404 echoing the path", 404, nil, "Cannot POST {path}", true, true, 0},
		{"410 gone", 410, nil, "channel_is_archived", true, true, 0},
		{"301 not followed", 301, http.Header{"Location": {"https://elsewhere.example/"}}, "", true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, _ := server(t, tt.status, tt.header, tt.body)
			url := srv.URL + "/services/" + token + "?key=" + token
			resp, err := httpsend.Post(t.Context(), httpsend.NewClient(), httpsend.Request{URL: url, Body: []byte(`{}`)})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Post error = %v, want error %v", err, tt.wantErr)
			}
			if resp == nil || resp.Status != tt.status {
				t.Fatalf("response = %+v, want status %d", resp, tt.status)
			}
			if err == nil {
				return
			}
			if got := notifier.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.wantPermanent)
			}
			if got, _ := notifier.RetryAfter(err); got != tt.wantRetryAfter {
				t.Errorf("RetryAfter = %v, want %v", got, tt.wantRetryAfter)
			}
			var nerr *notifier.Error
			if !errors.As(err, &nerr) || nerr.Status != tt.status {
				t.Errorf("error %v: want a *notifier.Error with status %d", err, tt.status)
			}
			msg := err.Error()
			if strings.Contains(msg, token) {
				t.Errorf("error leaks the token: %s", msg)
			}
			if !strings.Contains(msg, srv.URL) {
				t.Errorf("error %q does not name the target %s", msg, srv.URL)
			}
			if tt.body != "" && !strings.Contains(msg, strings.Fields(tt.body)[0]) {
				t.Errorf("error %q lacks a snippet of the body %q", msg, tt.body)
			}
		})
	}
}

func TestPostSendsBodyAndHeaders(t *testing.T) {
	srv, got, gotBody := server(t, 200, nil, "ok")
	resp, err := httpsend.PostJSON(t.Context(), httpsend.NewClient(), srv.URL+"/hook",
		http.Header{"X-Test": {"yes"}}, map[string]string{"text": "<质量> & co"})
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "ok" {
		t.Errorf("response body %q, want ok", resp.Body)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hook" {
		t.Errorf("request %s %s, want POST /hook", got.Method, got.URL.Path)
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if got.Header.Get("X-Test") != "yes" {
		t.Errorf("X-Test header missing")
	}
	if want := `{"text":"<质量> & co"}`; string(*gotBody) != want {
		t.Errorf("body %s, want %s", *gotBody, want)
	}
}

func TestPostNetworkErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name   string
		url    string
		client *http.Client
	}{
		{"connection refused", closed.URL + "/hook/" + token, httpsend.NewClient()},
		{"timeout", hang.URL + "/hook/" + token, &http.Client{Timeout: 50 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpsend.Post(t.Context(), tt.client, httpsend.Request{URL: tt.url, Body: []byte(`{}`)})
			if err == nil {
				t.Fatal("want an error")
			}
			if notifier.IsPermanent(err) {
				t.Errorf("network error %v classified permanent", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestPostInvalidURLIsPermanentAndRedacted(t *testing.T) {
	_, err := httpsend.Post(t.Context(), httpsend.NewClient(), httpsend.Request{URL: "https://hooks.example.org/%zz" + token})
	if err == nil || !notifier.IsPermanent(err) {
		t.Fatalf("error = %v, want permanent", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestPostCapsResponseBody(t *testing.T) {
	srv, _, _ := server(t, 200, nil, strings.Repeat("x", 3*httpsend.MaxResponseBody))
	resp, err := httpsend.Post(t.Context(), httpsend.NewClient(), httpsend.Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Body) != httpsend.MaxResponseBody {
		t.Errorf("read %d bytes, cap %d", len(resp.Body), httpsend.MaxResponseBody)
	}
}
