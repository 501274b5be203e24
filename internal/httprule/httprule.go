// Package httprule holds the rules about HTTP that the watcher, the
// notifiers and the config share, in one place: how long a Retry-After asks
// to wait, and how a URL is shown in logs and errors without its secrets.
package httprule

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxRetryAfter caps what a Retry-After may ask for: a day.
const MaxRetryAfter = 24 * time.Hour

// RetryAfter parses a Retry-After header value: delay-seconds or an
// HTTP-date (relative to now), at most MaxRetryAfter. Missing, malformed or
// past values give 0.
func RetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(MaxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(value); err == nil && t.After(now) {
		return min(t.Sub(now).Round(time.Second), MaxRetryAfter)
	}
	return 0
}

// invalid is how a URL that does not parse is shown.
const invalid = "<invalid url>"

// RedactSecretURL shows only the scheme and host of a URL that is itself a
// credential (a chat robot's or a webhook's: the path and query are the
// secret).
func RedactSecretURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return invalid
	}
	return u.Scheme + "://" + u.Host
}

// secretWords mark a query parameter whose value is a secret.
var secretWords = []string{"token", "key", "secret", "pass", "pwd", "sig", "auth", "session", "credential", "code"}

// IsSecretParam reports whether a query key looks like it carries a secret.
func IsSecretParam(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretWords {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// RedactURL shows a URL that is not a credential (a feed, a list page, an
// article) with its user info and secret-looking query values replaced by
// "redacted": the path stays, so the log says which page failed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return invalid
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if IsSecretParam(k) {
				q[k] = []string{"redacted"}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
