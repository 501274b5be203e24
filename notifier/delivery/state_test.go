package delivery

import (
	"errors"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
)

// TestOneRecordPerAlert: the intent and the delivered mark are one key per
// alert and notifier; an intent left under the old key by an earlier
// version is still found when the alert comes again.
func TestOneRecordPerAlert(t *testing.T) {
	c := natstest.Start(t, "")
	st := stateOf(t, c, "hook")
	ctx := t.Context()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	a := alert.Alert{ID: "link:a/1"}

	if err := st.begin(ctx, []alert.Alert{a}, 2, now); err != nil {
		t.Fatal(err)
	}
	r, err := st.lookup(ctx, a.ID, false)
	if err != nil || r.delivered || !r.sending || r.intent.Attempt != 2 || !r.intent.At.Equal(now) {
		t.Fatalf("after begin: %+v %v, want an intent of attempt 2", r, err)
	}
	if err := st.markDelivered(ctx, a.ID, now); err != nil {
		t.Fatal(err)
	}
	if r, err := st.lookup(ctx, a.ID, true); err != nil || !r.delivered || r.sending {
		t.Fatalf("after the mark: %+v %v, want delivered", r, err)
	}
	keys, err := st.kv.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for k := range keys.Keys() {
		all = append(all, k)
	}
	if len(all) != 1 || all[0] != st.markKey(a.ID) {
		t.Errorf("keys %v: want the one record %s", all, st.markKey(a.ID))
	}

	// Refused: the intent goes, nothing is recorded.
	b := alert.Alert{ID: "link:a/2"}
	if err := st.begin(ctx, []alert.Alert{b}, 1, now); err != nil {
		t.Fatal(err)
	}
	if err := st.refused(ctx, []alert.Alert{b}); err != nil {
		t.Fatal(err)
	}
	if r, err := st.lookup(ctx, b.ID, true); err != nil || r.delivered || r.sending {
		t.Errorf("after a refusal: %+v %v, want nothing", r, err)
	}

	// Another holder delivered while this one was about to send or was
	// sending: its mark is neither overwritten nor removed.
	c2 := alert.Alert{ID: "link:a/4"}
	if err := st.begin(ctx, []alert.Alert{c2}, 1, now); err != nil {
		t.Fatal(err)
	}
	if err := st.markDelivered(ctx, c2.ID, now); err != nil { // the other holder
		t.Fatal(err)
	}
	if err := st.refused(ctx, []alert.Alert{c2}); err != nil {
		t.Fatal(err)
	}
	if err := st.begin(ctx, []alert.Alert{c2}, 2, now); !errors.Is(err, errDelivered) {
		t.Errorf("begin over a mark: %v, want errDelivered", err)
	}
	if r, err := st.lookup(ctx, c2.ID, false); err != nil || !r.delivered {
		t.Errorf("the other holder's mark: %+v %v, want it kept", r, err)
	}
	// A retry overwrites its own intent.
	d := alert.Alert{ID: "link:a/5"}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := st.begin(ctx, []alert.Alert{d}, attempt, now); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	if r, err := st.lookup(ctx, d.ID, false); err != nil || r.intent.Attempt != 2 {
		t.Errorf("after two attempts: %+v %v, want the second's intent", r, err)
	}

	// An intent written by an earlier version, under its own key.
	legacy := alert.Alert{ID: "link:a/3"}
	if _, err := st.kv.Put(ctx, st.legacyIntentKey(legacy.ID), []byte(`{"at":"2026-12-01T07:00:00Z","attempt":1}`)); err != nil {
		t.Fatal(err)
	}
	if r, err := st.lookup(ctx, legacy.ID, false); err != nil || r.sending {
		t.Errorf("first delivery: %+v %v, want the old key not read", r, err)
	}
	if r, err := st.lookup(ctx, legacy.ID, true); err != nil || !r.sending || r.intent.Attempt != 1 {
		t.Errorf("redelivery: %+v %v, want the old intent found", r, err)
	}
}
