package email_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/internal/smtptest"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/email"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

// TestRepeatIsRecognisable: delivery is at least once, so a message the
// daemon was sending when it died goes out again. The repeat carries the
// same Message-ID and X-Qualitywatch-Alert-Id as the first copy, and a
// different message different ones.
func TestRepeatIsRecognisable(t *testing.T) {
	srv := smtptest.Start(t)
	host, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	n, err := email.New(email.Config{Host: host, Port: p, TLS: email.TLSNone, From: "qw@example.org", To: []string{"qa@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	digest := messagetest.Digest(3)
	odd := messagetest.Alert(7)
	odd.ID = "guid:line one\n  line\ttwo"
	tests := []struct {
		name         string
		first, again []alert.Alert
		wantKey      string
	}{
		{"one alert", []alert.Alert{messagetest.Alert(1)}, []alert.Alert{messagetest.Alert(1)}, messagetest.Alert(1).ID},
		{"digest", digest, digest, "digest:" + notifier.SetDigest(digest...)},
		{"id with line breaks", []alert.Alert{odd}, []alert.Alert{odd}, "guid:line one line two"},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]parsed
			for i, as := range [][]alert.Alert{tc.first, tc.again} {
				before := len(srv.Messages())
				if err := n.Notify(t.Context(), as...); err != nil {
					t.Fatalf("Notify: %v", err)
				}
				msgs := srv.Messages()
				if len(msgs) != before+1 {
					t.Fatalf("server holds %d messages, want %d", len(msgs), before+1)
				}
				got[i] = parse(t, msgs[before].Data)
			}
			id, key := got[0].Header.Get("Message-Id"), got[0].Header.Get(email.AlertIDHeader)
			if want := "<" + email.MessageID(tc.first...) + ">"; id != want {
				t.Errorf("Message-ID %q, want %q", id, want)
			}
			if key != tc.wantKey {
				t.Errorf("%s %q, want %q", email.AlertIDHeader, key, tc.wantKey)
			}
			if again := got[1].Header.Get("Message-Id"); again != id {
				t.Errorf("repeat Message-ID %q, first %q", again, id)
			}
			if again := got[1].Header.Get(email.AlertIDHeader); again != key {
				t.Errorf("repeat %s %q, first %q", email.AlertIDHeader, again, key)
			}
			if other, ok := seen[id]; ok {
				t.Errorf("Message-ID %q also names %q", id, other)
			}
			seen[id] = tc.name
		})
	}
}
