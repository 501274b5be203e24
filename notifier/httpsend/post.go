// Package httpsend is the one HTTP POST shared by the webhook channels
// (Slack, generic webhook, DingTalk, WeCom, Feishu). It makes exactly one
// attempt and classifies the outcome for the delivery runtime:
//
//   - 2xx: success; the body is returned so robots that answer 200 with an
//     error code can be checked by the channel.
//   - 429: notifier.Transient, with the Retry-After the target sent.
//   - 408, 5xx, network errors and timeouts: notifier.Transient (Retry-After
//     honoured when sent).
//   - any other status (4xx, an unfollowed 3xx): notifier.Permanent.
//
// Webhook URLs carry credentials in their path or query, so errors name the
// target by scheme and host only (RedactURL), and response snippets have the
// URL's path and query scrubbed in case the target echoes them.
package httpsend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/qualitywatch/qualitywatch/internal/httprule"

	"github.com/qualitywatch/qualitywatch/notifier"
)

// MaxResponseBody caps how much of a response is read.
const MaxResponseBody = 64 << 10

// DefaultTimeout bounds one request made with NewClient's client.
const DefaultTimeout = 30 * time.Second

// NewClient returns the client channels use when their config has none: a
// 30 s timeout, and redirects are not followed (a webhook that redirects is
// misconfigured, and following would hand its body to another host).
func NewClient() *http.Client {
	return &http.Client{
		Timeout: DefaultTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// ClientOrDefault returns c, or NewClient() when c is nil.
func ClientOrDefault(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return NewClient()
}

// Request is one POST.
type Request struct {
	URL    string
	Header http.Header // extra headers; Content-Type defaults to application/json
	Body   []byte
}

// Response is what the target answered, with at most MaxResponseBody bytes
// of body.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Post sends req with client under ctx and classifies the result as the
// package comment describes. The Response is returned whenever the target
// answered, also together with an error, so a channel can read a robot's own
// error code from a 4xx body.
func Post(ctx context.Context, client *http.Client, req Request) (*Response, error) {
	target := RedactURL(req.URL)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return nil, notifier.Permanent(0, fmt.Errorf("post %s: %w", target, unwrapURLError(err)))
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", "qualitywatch")
	for k, vs := range req.Header {
		hreq.Header.Del(k)
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hresp, err := client.Do(hreq)
	if err != nil {
		return nil, notifier.Transient(0, 0, fmt.Errorf("post %s: %w", target, unwrapURLError(err)))
	}
	defer hresp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(hresp.Body, MaxResponseBody))
	resp := &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}
	if err := Classify(resp, req.URL, time.Now()); err != nil {
		return resp, err
	}
	if readErr != nil {
		return resp, notifier.Transient(resp.Status, 0, fmt.Errorf("post %s: read response: %w", target, readErr))
	}
	return resp, nil
}

// PostJSON marshals v (without HTML escaping, so the body is what a reader
// expects) and posts it.
func PostJSON(ctx context.Context, client *http.Client, rawURL string, header http.Header, v any) (*Response, error) {
	body, err := MarshalJSON(v)
	if err != nil {
		return nil, notifier.Permanent(0, err)
	}
	return Post(ctx, client, Request{URL: rawURL, Header: header, Body: body})
}

// MarshalJSON encodes v as compact JSON without escaping <, > and &.
func MarshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Classify turns a response status into nil (2xx) or a classified error
// naming the redacted URL and a snippet of the body. now resolves an
// HTTP-date Retry-After.
func Classify(resp *Response, rawURL string, now time.Time) error {
	s := resp.Status
	if s >= 200 && s < 300 {
		return nil
	}
	err := fmt.Errorf("post %s: HTTP %d %s: %s", RedactURL(rawURL), s, http.StatusText(s), Snippet(resp.Body, rawURL))
	retryAfter := httprule.RetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case s == http.StatusTooManyRequests, s == http.StatusRequestTimeout, s >= 500:
		return notifier.Transient(s, retryAfter, err)
	default:
		return notifier.Permanent(s, err)
	}
}

// unwrapURLError drops the *url.Error layer, whose message holds the full
// URL with its credentials, keeping the cause.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if uerr.Timeout() {
			return fmt.Errorf("%s: timeout: %w", uerr.Op, uerr.Err)
		}
		return fmt.Errorf("%s: %w", uerr.Op, uerr.Err)
	}
	return err
}
