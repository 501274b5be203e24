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
