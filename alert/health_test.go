package alert_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

func TestHealthText(t *testing.T) {
	h := alert.Health{Schema: alert.HealthSchema, Source: "sd-amr-food-sampling", State: alert.StateBlocked,
		Previous: alert.StateOK, Since: "2026-12-01T02:00:00Z", Reason: "HTTP 412", Failures: 5}
	tests := []struct{ state, lang, want string }{
		{alert.StateBlocked, "zh", "源 sd-amr-food-sampling 已连续失败 5 次：HTTP 412（疑似防火墙拦截）"},
		{alert.StateOK, "zh", "源 sd-amr-food-sampling 已恢复"},
		{alert.StateBlocked, "en", "Source sd-amr-food-sampling failed 5 times in a row: HTTP 412 (probably blocked by a web application firewall)"},
		{alert.StateOK, "en", "Source sd-amr-food-sampling recovered"},
		{alert.StateFailing, "zh", "源 sd-amr-food-sampling 已连续失败 5 次：HTTP 412"},
	}
	for _, tt := range tests {
		h.State = tt.state
		if got := h.Text(tt.lang); got != tt.want {
			t.Errorf("%s/%s: %q, want %q", tt.state, tt.lang, got, tt.want)
		}
	}
}

func TestHealthRoundTripAndAlert(t *testing.T) {
	h := alert.Health{Schema: alert.HealthSchema, Source: "s", URL: "http://x/", State: alert.StateFailing,
		Previous: alert.StateOK, Since: "2026-12-01T02:00:00Z", Error: "fetch: 500", Reason: "HTTP 500", Failures: 3}
	b, _ := json.Marshal(h)
	got, err := alert.DecodeHealth(b)
	if err != nil || got != h {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, field := range []string{"source", "state", "previous", "since", "error", "failures"} {
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if _, ok := m[field]; !ok {
			t.Errorf("health event lacks %q", field)
		}
	}
	a := alert.FromHealth(h, time.Now())
	b, _ = json.Marshal(a)
	back, err := alert.Decode(b)
	if err != nil || back.Health == nil || back.Health.State != alert.StateFailing || back.Categories[0] != alert.HealthCategory {
		t.Fatalf("health alert: %+v %v", back, err)
	}
	if _, err := alert.DecodeHealth([]byte(`{"schema":"x"}`)); err == nil {
		t.Error("a wrong schema decoded")
	}
}
