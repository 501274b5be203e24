package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
	"github.com/qualitywatch/qualitywatch/notifier/webhook"
)

const token = "tok-0123456789-SECRET"

// request is what the receiver saw.
type request struct {
	header http.Header
	body   []byte
}

func receiver(t *testing.T, status int, header http.Header) (*httptest.Server, <-chan request) {
	t.Helper()
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method == http.MethodPost && r.URL.Query().Get("token") == token {
			got <- request{r.Header.Clone(), body}
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func notify(t *testing.T, cfg webhook.Config, alerts ...alert.Alert) request {
	t.Helper()
	srv, got := receiver(t, http.StatusAccepted, nil)
	cfg.URL = srv.URL + "/hooks/qw?token=" + token
	n, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), alerts...); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	return <-got
}

func TestSingleAlertBody(t *testing.T) {
	a := messagetest.Hostile()
	req := notify(t, webhook.Config{}, a)
	if ct := req.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := req.header.Get(webhook.AlertIDHeader); got != a.ID {
		t.Errorf("%s = %q, want %q", webhook.AlertIDHeader, got, a.ID)
	}
	if sig := req.header.Get(webhook.SignatureHeader); sig != "" {
		t.Errorf("unsigned webhook sent %s %q", webhook.SignatureHeader, sig)
	}
	decoded, err := alert.Decode(req.body)
	if err != nil {
		t.Fatalf("body is not an alert v1: %v\n%s", err, req.body)
	}
	if !reflect.DeepEqual(decoded, a) {
		t.Errorf("decoded alert = %+v, want %+v", decoded, a)
	}
}

func TestDigestBody(t *testing.T) {
	alerts := messagetest.Digest(3)
	req := notify(t, webhook.Config{}, alerts...)
	if got, want := req.header.Get(webhook.AlertIDHeader), "digest:"+notifier.SetDigest(alerts...); got != want {
		t.Errorf("digest sent %s %q, want %q", webhook.AlertIDHeader, got, want)
	}
	var d struct {
		Schema string            `json:"schema"`
		Alerts []json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(req.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.Schema != "qualitywatch.digest.v1" || len(d.Alerts) != 3 {
		t.Fatalf("digest schema %q with %d alerts", d.Schema, len(d.Alerts))
	}
	for i, raw := range d.Alerts {
		a, err := alert.Decode(raw)
		if err != nil || !reflect.DeepEqual(a, alerts[i]) {
			t.Errorf("alerts[%d] = %+v (%v), want %+v", i, a, err, alerts[i])
		}
	}
}

// TestRepeatCarriesSameAlertID: delivery is at least once, so a body the
// daemon was posting when it died is posted again. Both copies carry the
// same X-Qualitywatch-Alert-Id (a digest's does not depend on the order of
// its alerts), and different messages different ones.
func TestRepeatCarriesSameAlertID(t *testing.T) {
	digest := messagetest.Digest(3)
	reordered := []alert.Alert{digest[2], digest[0], digest[1]}
	odd := messagetest.Alert(7)
	odd.ID = "guid:line one\r\n  line\ttwo"
	tests := []struct {
		name         string
		first, again []alert.Alert
		want         string
	}{
		{"one alert", []alert.Alert{messagetest.Alert(1)}, []alert.Alert{messagetest.Alert(1)}, messagetest.Alert(1).ID},
		{"digest", digest, reordered, "digest:" + notifier.SetDigest(digest...)},
		{"part of a digest", digest[:2], digest[:2], "digest:" + notifier.SetDigest(digest[:2]...)},
		{"id with line breaks", []alert.Alert{odd}, []alert.Alert{odd}, "guid:line one line two"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			first := notify(t, webhook.Config{}, tc.first...).header.Get(webhook.AlertIDHeader)
			again := notify(t, webhook.Config{}, tc.again...).header.Get(webhook.AlertIDHeader)
			if first != tc.want {
				t.Errorf("%s %q, want %q", webhook.AlertIDHeader, first, tc.want)
			}
			if again != first {
				t.Errorf("repeat carries %q, first %q", again, first)
			}
			if other, ok := seen[first]; ok {
				t.Errorf("%q also names %q", first, other)
			}
			seen[first] = tc.name
		})
	}
}

func TestSignature(t *testing.T) {
	const secret = "webhook-signing-secret"
	for _, alerts := range [][]alert.Alert{messagetest.Digest(1), messagetest.Digest(4)} {
		req := notify(t, webhook.Config{Secret: secret}, alerts...)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(req.body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if got := req.header.Get("X-Qualitywatch-Signature"); got != want {
			t.Errorf("signature %q, want %q over the exact body", got, want)
		}
	}
}

func TestClassifiesResponses(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         http.Header
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{"200", 200, nil, false, false, 0},
		{"204", 204, nil, false, false, 0},
		{"429 retry-after", 429, http.Header{"Retry-After": {"12"}}, true, false, 12 * time.Second},
		{"500", 500, nil, true, false, 0},
		{"502", 502, nil, true, false, 0},
		{"400", 400, nil, true, true, 0},
		{"401", 401, nil, true, true, 0},
		{"404", 404, nil, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := receiver(t, tt.status, tt.header)
			n, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks/qw?token=" + token, Secret: "s"})
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(t.Context(), messagetest.Alert(1))
			checkErr(t, err, tt.wantErr, tt.wantPermanent, tt.wantRetryAfter)
		})
	}
	t.Run("network error", func(t *testing.T) {
		srv, _ := receiver(t, 200, nil)
		srv.Close()
		n, err := webhook.New(webhook.Config{URL: srv.URL + "/hooks/qw?token=" + token})
		if err != nil {
			t.Fatal(err)
		}
		checkErr(t, n.Notify(t.Context(), messagetest.Alert(1)), true, false, 0)
	})
}

func checkErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration) {
	t.Helper()
	messagetest.CheckErr(t, err, wantErr, wantPermanent, wantRetryAfter, token)
}

func TestNewAndString(t *testing.T) {
	if _, err := webhook.New(webhook.Config{URL: "not a url " + token}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("New(bad url) = %v, want an error without the token", err)
	}
	n, err := webhook.New(webhook.Config{URL: "https://hooks.example.org/x?token=" + token, Secret: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.String(); got != "webhook https://hooks.example.org" {
		t.Errorf("String() = %q", got)
	}
}
