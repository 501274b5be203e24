package messagetest

import (
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier"
)

// CheckErr checks what a channel's Notify returned: whether it failed, how
// the failure is classified (permanent, Retry-After), and that its text
// holds none of the secrets (tokens, keys, signing secrets, webhook paths).
func CheckErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration, secrets ...string) {
	t.Helper()
	if (err != nil) != wantErr {
		t.Fatalf("Notify = %v, want error %v", err, wantErr)
	}
	if err == nil {
		return
	}
	if got := notifier.IsPermanent(err); got != wantPermanent {
		t.Errorf("IsPermanent(%v) = %v, want %v", err, got, wantPermanent)
	}
	if got, _ := notifier.RetryAfter(err); got != wantRetryAfter {
		t.Errorf("RetryAfter = %v, want %v", got, wantRetryAfter)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}
