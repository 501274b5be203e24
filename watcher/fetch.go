package watcher

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/qualitywatch/qualitywatch/internal/httprule"
)

// Fetcher defaults, applied to zero fields.
const (
	DefaultMaxBytes = 10 << 20
	DefaultTimeout  = 30 * time.Second
)

// feedAccept asks for feeds first, then anything XML or JSON.
const feedAccept = "application/rss+xml, application/atom+xml, application/rdf+xml, " +
	"application/feed+json, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// Validators are what a server gave to make the next fetch conditional.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// BodyHash is the hash of the last body handled in full: a server that
	// sends neither ETag nor Last-Modified still has its unchanged body
	// recognised without parsing it (see Reader.Read).
	BodyHash string `json:"body_hash,omitempty"`
}

// Fetcher is the watcher's HTTP client for feeds. The zero value is ready to
// use; it is safe for concurrent use.
type Fetcher struct {
	Client    *http.Client  // nil: a client with the default transport
	UserAgent string        // "": qualitywatch/<version> (+https://github.com/qualitywatch/qualitywatch)
	MaxBytes  int64         // cap on the decoded body; 0: DefaultMaxBytes
	Timeout   time.Duration // whole request, body included; 0: DefaultTimeout
	Accept    string        // "": feeds first, then anything XML or JSON
}

// PageAccept is what list-page sources ask for.
const PageAccept = "text/html,application/xhtml+xml,application/json;q=0.9,application/xml;q=0.8,*/*;q=0.5"

// Response is the outcome of a successful fetch.
type Response struct {
	NotModified bool       // 304: Body is empty, Validators are the previous ones
	Body        []byte     // decompressed, at most MaxBytes
	ContentType string     // the Content-Type header, charset included
	Validators  Validators // for the next fetch
	Status      int
	FinalURL    string // after redirects
}

// HTTPError is a response that was neither 2xx nor 304.
type HTTPError struct {
	URL        string // with user info and secret-looking query values redacted
	Status     int
	RetryAfter time.Duration // from Retry-After; 0 when absent
	// Challenge is set when the answer is a web application firewall's
	// challenge (瑞数 412 with $_ts, 加速乐 521), not the page.
	Challenge bool
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("fetch %s: http status %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Challenge {
		msg += " (a web application firewall challenge: the site blocks this client)"
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Fetch gets url with a conditional GET built from prev. A 304 returns
// NotModified with prev kept (updated by any validator the 304 carries).
// Errors: *HTTPError for other non-2xx statuses; an error wrapping
// context.DeadlineExceeded when Timeout or ctx expires; a "body exceeds N
// bytes" error when the decompressed body is larger than MaxBytes.
func (f *Fetcher) Fetch(ctx context.Context, url string, prev Validators) (Response, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(f.Timeout, DefaultTimeout))
	defer cancel()
	shown := redactURL(url)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w", shown, redactErr(err))
	}
	ua := f.UserAgent
	if ua == "" {
		ua = defaultUserAgent() // reads the build info: only when needed
	}
	req.Header.Set("User-Agent", ua)
	req.Header.Set("Accept", cmp.Or(f.Accept, feedAccept))
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	client := f.Client
	if client == nil {
		client = &http.Client{}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w", shown, redactErr(err))
	}
	if resp.StatusCode == http.StatusForbidden && client.Jar != nil && len(resp.Cookies()) > 0 {
		// A cookie pre-flight: the site answers 403 once and sets a
		// cookie; the same request with it gets the page.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp, err = client.Do(req.Clone(ctx)); err != nil {
			return Response{}, fmt.Errorf("fetch %s: %w", shown, redactErr(err))
		}
	}
	defer resp.Body.Close()

	out := Response{Status: resp.StatusCode, FinalURL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type")}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		v := validatorsOf(resp.Header)
		out.Validators = Validators{ETag: cmp.Or(v.ETag, prev.ETag), LastModified: cmp.Or(v.LastModified, prev.LastModified), BodyHash: prev.BodyHash}
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)) // also lets the connection be reused
		return Response{}, &HTTPError{URL: shown, Status: resp.StatusCode, RetryAfter: httprule.RetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			Challenge: IsChallenge(resp.StatusCode, head)}
	}
	out.Validators = validatorsOf(resp.Header)
	out.Body, err = readBody(resp, cmp.Or(f.MaxBytes, DefaultMaxBytes))
	if err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w", shown, redactErr(err))
	}
	return out, nil
}

// readBody reads at most max decompressed bytes. The transport undoes the
// gzip it asked for; a gzip body it did not undo (a custom transport, or a
// server that compresses twice) is undone here.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max && !resp.Uncompressed {
		return nil, fmt.Errorf("body exceeds %d bytes (content-length %d)", max, resp.ContentLength)
	}
	body, err := readCapped(resp.Body, max)
	if err != nil {
		return nil, err
	}
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		if body, err = readCapped(zr, max); err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
	}
	return body, nil
}

func readCapped(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("body exceeds %d bytes", max)
	}
	return b, nil
}

func validatorsOf(h http.Header) Validators {
	return Validators{ETag: h.Get("ETag"), LastModified: h.Get("Last-Modified")}
}

// defaultUserAgent names the program and its version as the build records
// it; the daemon sets Fetcher.UserAgent with its release version.
func defaultUserAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "qualitywatch/" + v + " (+https://github.com/qualitywatch/qualitywatch)"
}

// redactURL shows a page's URL in logs and errors without its secrets.
func redactURL(raw string) string { return httprule.RedactURL(raw) }

// redactErr drops the URL, which may carry secrets, from a *url.Error; the
// caller names the redacted URL instead.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// NewFeedClient returns the client feeds share: at most perHost requests
// in flight to one host (polls due in the same second take turns rather
// than open dozens of connections: sites limit requests per address), on
// connections kept open between polls so that a poll does not pay for a
// new one. The limit is per site, not per connection: behind a proxy, feeds
// of different sites do not share it.
func NewFeedClient(perHost int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = perHost
	tr.MaxIdleConns = 0 // no limit over all hosts: each keeps its own few
	return &http.Client{Transport: &politeTransport{limiter: &HostLimiter{PerHost: perHost}, next: tr}}
}
