package email_test

import (
	"os"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/email"
)

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func TestNewValidates(t *testing.T) {
	good := email.Config{Host: "smtp.example.org", From: "qw@example.org", To: []string{"qa@example.org"}}
	tests := []struct {
		name   string
		modify func(*email.Config)
		want   string
	}{
		{"missing host", func(c *email.Config) { c.Host = "" }, "smtp host: missing"},
		{"bad tls mode", func(c *email.Config) { c.TLS = "ssl" }, `smtp tls mode "ssl"`},
		{"bad port", func(c *email.Config) { c.Port = 70000 }, "smtp port 70000"},
		{"bad from", func(c *email.Config) { c.From = "not an address" }, `from "not an address"`},
		{"no recipients", func(c *email.Config) { c.To = nil }, "to: no recipients"},
		{"bad recipient", func(c *email.Config) { c.To = []string{"qa@example.org", "@@"} }, `to[1] "@@"`},
		{"password without user", func(c *email.Config) { c.Password = "hunter2-secret" }, "password set without a username"},
		{"auth in clear to a remote host", func(c *email.Config) {
			c.TLS, c.Username, c.Password = email.TLSNone, "u", "hunter2-secret"
		}, "unencrypted connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.modify(&cfg)
			_, err := email.New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2-secret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	if _, err := email.New(good); err != nil {
		t.Errorf("New(good config) = %v", err)
	}
}

func TestStringHidesPassword(t *testing.T) {
	n, err := email.New(email.Config{Host: "smtp.example.org", Username: "u", Password: "hunter2-secret", From: "qw@example.org", To: []string{"qa@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.String(), "email smtp://smtp.example.org:587 (starttls) to 1 recipient(s)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
