package message_test

import (
	"testing"
	"unicode/utf8"

	"github.com/qualitywatch/qualitywatch/notifier/message"
)

func TestTruncateRunes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "质量", 2, "质量"},
		{"cut chinese", "质量强市行动", 4, "质量强…"},
		{"cut ascii", "abcdef", 3, "ab…"},
		{"one", "abc", 1, "…"},
		{"zero", "abc", 0, ""},
		{"empty", "", 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.TruncateRunes(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("TruncateRunes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.n {
				t.Errorf("got %d runes, limit %d", n, tt.n)
			}
		})
	}
}

func TestTruncateBytes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "质量", 6, "质量"},
		{"cut on boundary", "质量强市", 9, "质量…"},
		{"cut inside a character", "质量强市", 8, "质…"},
		{"ascii", "abcdef", 5, "ab…"},
		{"no room for ellipsis", "质量强市", 2, ""},
		{"ascii no room for ellipsis", "abcdef", 2, "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.TruncateBytes(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("TruncateBytes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if len(got) > tt.n || !utf8.ValidString(got) {
				t.Errorf("got %q: %d bytes (limit %d), valid UTF-8 %v", got, len(got), tt.n, utf8.ValidString(got))
			}
		})
	}
}
