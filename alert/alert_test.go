package alert_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

func TestFromItemKeepsTheContract(t *testing.T) {
	it := alert.Item{Schema: alert.ItemSchema, ID: "guid:1", Source: "s", Title: "t", Link: "http://x/1", Summary: "摘要",
		Verdict: alert.Verdict{Match: true, Score: 0.8}}
	a := alert.FromItem(it, time.Date(2026, 11, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{`"schema":"qualitywatch.alert.v1"`, `"detected":"2026-11-01T00:00:00Z"`,
		`"categories":[]`, `"regions":[]`, `"terms":[]`, `"score":0.8`} {
		if !strings.Contains(got, want) {
			t.Errorf("alert JSON lacks %s: %s", want, got)
		}
	}
	back, err := alert.Decode(b)
	if err != nil || back.ID != "guid:1" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not json", `nope`, "decode alert"},
		{"other schema", `{"schema":"qualitywatch.alert.v2","id":"x"}`, `schema "qualitywatch.alert.v2"`},
		{"no id", `{"schema":"qualitywatch.alert.v1"}`, "missing id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := alert.Decode([]byte(tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if _, err := alert.DecodeItem([]byte(`{"schema":"qualitywatch.alert.v1","id":"x"}`)); err == nil {
		t.Fatal("an alert decoded as an item")
	}
}
