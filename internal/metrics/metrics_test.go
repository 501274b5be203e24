package metrics_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/qualitywatch/qualitywatch/internal/metrics"
)

func TestMetricsCountWhatHappened(t *testing.T) {
	m := metrics.New()
	now := time.Unix(1_800_000_000, 0)
	m.Polled("weifang", "ok", now)
	m.Polled("weifang", "error", now)
	m.Polled("weifang", "error", now)
	m.ItemSeen("weifang")
	m.ItemPublished("weifang")
	m.AlertPublished("weifang", "sampling")
	m.Delivered("slack", 3)
	m.Failed("slack", false)
	m.Failed("slack", true)
	m.DeadLettered("slack")
	m.Filtered("mail")

	want := `
# HELP qualitywatch_fetch_errors_total Feed polls that failed, by source.
# TYPE qualitywatch_fetch_errors_total counter
qualitywatch_fetch_errors_total{source="weifang"} 2
# HELP qualitywatch_deliveries_total Alerts accepted by a notifier's target.
# TYPE qualitywatch_deliveries_total counter
qualitywatch_deliveries_total{notifier="slack"} 3
# HELP qualitywatch_delivery_failures_total Failed delivery attempts, by notifier and kind (transient, permanent).
# TYPE qualitywatch_delivery_failures_total counter
qualitywatch_delivery_failures_total{kind="permanent",notifier="slack"} 1
qualitywatch_delivery_failures_total{kind="transient",notifier="slack"} 1
# HELP qualitywatch_last_successful_poll_timestamp_seconds When each source was last polled successfully.
# TYPE qualitywatch_last_successful_poll_timestamp_seconds gauge
qualitywatch_last_successful_poll_timestamp_seconds{source="weifang"} 1.8e+09
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"qualitywatch_fetch_errors_total", "qualitywatch_deliveries_total",
		"qualitywatch_delivery_failures_total", "qualitywatch_last_successful_poll_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"qualitywatch_polls_total", "qualitywatch_items_seen_total", "qualitywatch_items_published_total",
		"qualitywatch_alerts_published_total", "qualitywatch_deadletters_total", "qualitywatch_alerts_filtered_total"} {
		if n, err := testutil.GatherAndCount(m.Registry, name); err != nil || n == 0 {
			t.Errorf("%s: %d series, %v", name, n, err)
		}
	}
}

// TestSourceHealth: one series per state per source, 1 for the current
// one, and the failures in a row; a forgotten source has none.
func TestSourceHealth(t *testing.T) {
	m := metrics.New()
	m.SourceHealth("weifang", "failing", 4)
	m.SourceHealth("jinan", "ok", 0)
	m.SourceHealth("jinan", "", 9) // no state yet: nothing changes
	want := `
# HELP qualitywatch_source_consecutive_failures Failed polls in a row, by source.
# TYPE qualitywatch_source_consecutive_failures gauge
qualitywatch_source_consecutive_failures{source="jinan"} 0
qualitywatch_source_consecutive_failures{source="weifang"} 4
# HELP qualitywatch_source_state 1 for each source's current health state (ok, failing, stale, layout, blocked), 0 for the others.
# TYPE qualitywatch_source_state gauge
qualitywatch_source_state{source="jinan",state="blocked"} 0
qualitywatch_source_state{source="jinan",state="failing"} 0
qualitywatch_source_state{source="jinan",state="layout"} 0
qualitywatch_source_state{source="jinan",state="ok"} 1
qualitywatch_source_state{source="jinan",state="stale"} 0
qualitywatch_source_state{source="weifang",state="blocked"} 0
qualitywatch_source_state{source="weifang",state="failing"} 1
qualitywatch_source_state{source="weifang",state="layout"} 0
qualitywatch_source_state{source="weifang",state="ok"} 0
qualitywatch_source_state{source="weifang",state="stale"} 0
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want),
		"qualitywatch_source_state", "qualitywatch_source_consecutive_failures"); err != nil {
		t.Fatal(err)
	}
	m.ForgetSource("weifang")
	if n, err := testutil.GatherAndCount(m.Registry, "qualitywatch_source_state"); err != nil || n != 5 {
		t.Errorf("after forgetting weifang: %d series, %v; want jinan's 5", n, err)
	}
}
