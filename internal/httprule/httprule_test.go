package httprule_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/internal/httprule"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"", 0}, {"120", 2 * time.Minute}, {"0", 0}, {"-5", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999", httprule.MaxRetryAfter},
		{now.Add(30 * 24 * time.Hour).Format(http.TimeFormat), httprule.MaxRetryAfter},
	} {
		if got := httprule.RetryAfter(tt.value, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, secret, plain string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com", "https://hooks.slack.com/services/T000/B000/XXXXSECRET"},
		{"https://oapi.dingtalk.com/robot/send?access_token=SECRET", "https://oapi.dingtalk.com", "https://oapi.dingtalk.com/robot/send?access_token=redacted"},
		{"https://user:pass@example.org:8443/x?page=2", "https://example.org:8443", "https://redacted@example.org:8443/x?page=2"},
		{"://nope SECRET", "<invalid url>", "<invalid url>"},
	} {
		if got := httprule.RedactSecretURL(tt.in); got != tt.secret {
			t.Errorf("RedactSecretURL(%q) = %q, want %q", tt.in, got, tt.secret)
		}
		if got := httprule.RedactURL(tt.in); got != tt.plain {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.plain)
		}
	}
}
