package httpsend

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/qualitywatch/qualitywatch/internal/httprule"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// RedactURL returns only the scheme and host of a webhook URL: the path and
// query of Slack, DingTalk, WeCom and Feishu webhooks are the credentials.
// An unparsable URL is reported as "<invalid url>".
func RedactURL(raw string) string { return httprule.RedactSecretURL(raw) }

// snippetBytes is how much of a response body an error quotes.
const snippetBytes = 200

// Snippet returns the start of a response body fit for an error message:
// one line, printable, at most 200 bytes, with the path and query of rawURL
// replaced by <redacted> should the target echo them.
func Snippet(body []byte, rawURL string) string {
	s := strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, string(body))
	s = scrub(message.OneLine(s), rawURL)
	if s == "" {
		return "(empty body)"
	}
	return message.TruncateBytes(s, snippetBytes)
}

// scrub removes the secret parts of rawURL (path, query, user info) from s,
// raw and escaped.
func scrub(s, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return strings.ReplaceAll(s, rawURL, "<redacted>")
	}
	secrets := []string{rawURL, u.RawQuery, u.EscapedPath(), u.Path, u.User.String()}
	for _, p := range strings.Split(u.RawQuery, "&") {
		if _, v, ok := strings.Cut(p, "="); ok {
			secrets = append(secrets, v)
		}
	}
	secrets = append(secrets, strings.Split(u.Path, "/")...)
	for _, secret := range secrets {
		if len(secret) >= 8 { // short segments ("/", "send", "hook") are not secrets
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	return s
}

// CheckURL accepts an absolute http or https URL. Its errors never quote the
// URL, which holds credentials.
func CheckURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("missing")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("want an absolute http(s) URL")
	}
	return nil
}
