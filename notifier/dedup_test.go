package notifier_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
)

func TestDedupKey(t *testing.T) {
	a, b, c := alert.Alert{ID: "guid:a"}, alert.Alert{ID: "guid:b"}, alert.Alert{ID: "guid:c"}
	tests := []struct {
		name   string
		x, y   []alert.Alert
		wantEq bool
	}{
		{"same alert", []alert.Alert{a}, []alert.Alert{a}, true},
		{"other alert", []alert.Alert{a}, []alert.Alert{b}, false},
		{"digest in another order", []alert.Alert{a, b, c}, []alert.Alert{c, a, b}, true},
		{"another part of a digest", []alert.Alert{a, b}, []alert.Alert{a, b, c}, false},
		{"digest of one id joined", []alert.Alert{{ID: "guid:a\nguid:b"}}, []alert.Alert{a, b}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := notifier.DedupKey(tt.x...), notifier.DedupKey(tt.y...)
			if (x == y) != tt.wantEq {
				t.Errorf("DedupKey %q vs %q: equal %v, want %v", x, y, x == y, tt.wantEq)
			}
			if len(tt.x) == 1 && x != tt.x[0].ID {
				t.Errorf("DedupKey of one alert = %q, want its id %q", x, tt.x[0].ID)
			}
			if len(tt.x) > 1 && (!strings.HasPrefix(x, "digest:") || len(x) != len("digest:")+32) {
				t.Errorf("DedupKey of a digest = %q, want digest:<32 hex digits>", x)
			}
		})
	}
}
