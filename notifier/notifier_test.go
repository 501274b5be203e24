package notifier_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
)

func TestErrorClasses(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		permanent bool
		after     time.Duration
		text      string
	}{
		{"plain error is transient", base, false, 0, "boom"},
		{"permanent", notifier.Permanent(400, base), true, 0, "permanent failure (status 400): boom"},
		{"transient with retry-after", notifier.Transient(429, 3*time.Second, base), false, 3 * time.Second, "transient failure (status 429): boom"},
		{"wrapped keeps its class", fmt.Errorf("slack: %w", notifier.Permanent(0, base)), true, 0, "slack: permanent failure: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notifier.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v", got)
			}
			after, ok := notifier.RetryAfter(tt.err)
			if after != tt.after || ok != (tt.after > 0) {
				t.Errorf("RetryAfter = %v, %v", after, ok)
			}
			if tt.err.Error() != tt.text {
				t.Errorf("Error() = %q", tt.err.Error())
			}
			if !errors.Is(tt.err, base) {
				t.Error("the cause is not reachable with errors.Is")
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	for name, ok := range map[string]bool{
		"team": true, "qa-mail-2": true, "9": true, "a-": true,
		"": false, "-a": false, "Team": false, "qa mail": false, "qa_mail": false, "qa.mail": false, "质量": false,
	} {
		if err := notifier.CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
