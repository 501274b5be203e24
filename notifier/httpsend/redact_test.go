package httpsend_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
)

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"slack", "https://hooks.slack.com/services/T000/B000/XXXXSECRET", "https://hooks.slack.com"},
		{"dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=SECRET", "https://oapi.dingtalk.com"},
		{"user info", "https://user:pass@example.org:8443/x", "https://example.org:8443"},
		{"invalid", "://nope SECRET", "<invalid url>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsend.RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	url := "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef"
	tests := []struct {
		name, body, want string
	}{
		{"empty", "", "(empty body)"},
		{"one line", "{\"errcode\":310000,\n\t\"errmsg\":\"sign not match\"}", `{"errcode":310000, "errmsg":"sign not match"}`},
		{"echoed token", "no such token 0123456789abcdef", "no such token <redacted>"},
		{"long", strings.Repeat("错", 100), strings.Repeat("错", 65) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpsend.Snippet([]byte(tt.body), url); got != tt.want {
				t.Errorf("Snippet = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"https", "https://hooks.slack.com/services/T/B/X", true},
		{"http", "http://127.0.0.1:8080/hook", true},
		{"empty", "", false},
		{"relative", "/services/T/B/SECRET", false},
		{"ftp", "ftp://example.org/SECRET", false},
		{"unparsable", "https://exa mple.org/%zzSECRET", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := httpsend.CheckURL(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckURL(%q) = %v, want ok %v", tt.in, err, tt.ok)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error quotes the URL: %v", err)
			}
		})
	}
}
