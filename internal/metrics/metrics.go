// Package metrics holds qualitywatch's Prometheus metrics. Each part of the
// pipeline defines the small interface it needs; *Metrics implements them all.
package metrics

import (
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Metrics is one registry with every qualitywatch metric on it.
type Metrics struct {
	Registry *prometheus.Registry

	polls          *prometheus.CounterVec
	fetchErrors    *prometheus.CounterVec
	lastSuccess    *prometheus.GaugeVec
	itemsSeen      *prometheus.CounterVec
	itemsPublished *prometheus.CounterVec
	alerts         *prometheus.CounterVec
	deliveries     *prometheus.CounterVec
	failures       *prometheus.CounterVec
	deadLetters    *prometheus.CounterVec
	filtered       *prometheus.CounterVec
	health         *healthCollector
}

// New registers every metric on a fresh registry, with Go and process
// collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "qualitywatch", Name: name, Help: help}, labels)
		r.MustRegister(c)
		return c
	}
	m := &Metrics{
		Registry:       r,
		polls:          counter("polls_total", "Feed polls by source and result (ok, not_modified, error, skipped).", "source", "result"),
		fetchErrors:    counter("fetch_errors_total", "Feed polls that failed, by source.", "source"),
		itemsSeen:      counter("items_seen_total", "New feed items recorded as seen, by source (baseline included).", "source"),
		itemsPublished: counter("items_published_total", "New items published to QUALITYWATCH_ITEMS, by source.", "source"),
		alerts:         counter("alerts_published_total", "Alerts published to QUALITYWATCH_ALERTS, by primary region and category.", "region", "category"),
		deliveries:     counter("deliveries_total", "Alerts accepted by a notifier's target.", "notifier"),
		failures:       counter("delivery_failures_total", "Failed delivery attempts, by notifier and kind (transient, permanent).", "notifier", "kind"),
		deadLetters:    counter("deadletters_total", "Alerts put in QUALITYWATCH_DEADLETTER, by notifier.", "notifier"),
		filtered:       counter("alerts_filtered_total", "Alerts a notifier's filter did not admit.", "notifier"),
	}
	m.lastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "qualitywatch", Name: "last_successful_poll_timestamp_seconds", Help: "When each source was last polled successfully."}, []string{"source"})
	r.MustRegister(m.lastSuccess)
	m.health = &healthCollector{
		sources: map[string]sourceHealth{},
		state: prometheus.NewDesc("qualitywatch_source_state",
			"1 for each source's current health state (ok, failing, stale, layout, blocked), 0 for the others.", []string{"source", "state"}, nil),
		failures: prometheus.NewDesc("qualitywatch_source_consecutive_failures", "Failed polls in a row, by source.", []string{"source"}, nil),
	}
	r.MustRegister(m.health)
	return m
}

// healthCollector exposes each source's health state and failures in a
// row, built when scraped from one small record per source: a gauge vector
// held six series per source (over 10 MB for 5,000 sources).
type healthCollector struct {
	mu              sync.Mutex
	sources         map[string]sourceHealth
	state, failures *prometheus.Desc
}

type sourceHealth struct {
	state    string
	failures int
}

func (c *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.failures
}

func (c *healthCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	snapshot := maps.Clone(c.sources)
	c.mu.Unlock()
	for source, h := range snapshot {
		for _, s := range alert.States() {
			v := 0.0
			if s == h.state {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, source, s)
		}
		ch <- prometheus.MustNewConstMetric(c.failures, prometheus.GaugeValue, float64(h.failures), source)
	}
}

// SourceHealth sets a source's state gauges and its failed polls in a row.
func (m *Metrics) SourceHealth(source, state string, failures int) {
	if state == "" {
		return
	}
	m.health.mu.Lock()
	m.health.sources[source] = sourceHealth{state: state, failures: failures}
	m.health.mu.Unlock()
}

// ForgetSource drops a removed source's series.
func (m *Metrics) ForgetSource(source string) {
	m.health.mu.Lock()
	delete(m.health.sources, source)
	m.health.mu.Unlock()
	m.lastSuccess.DeleteLabelValues(source)
}

// Polled counts one poll of source with its result.
func (m *Metrics) Polled(source, result string, at time.Time) {
	m.polls.WithLabelValues(source, result).Inc()
	switch result {
	case "error":
		m.fetchErrors.WithLabelValues(source).Inc()
	case "ok", "not_modified":
		m.lastSuccess.WithLabelValues(source).Set(float64(at.Unix()))
	}
}

// ItemSeen counts an item recorded as seen.
func (m *Metrics) ItemSeen(source string) { m.itemsSeen.WithLabelValues(source).Inc() }

// ItemPublished counts an item published on the items stream.
func (m *Metrics) ItemPublished(source string) { m.itemsPublished.WithLabelValues(source).Inc() }

// AlertPublished counts an alert published on the alerts stream.
func (m *Metrics) AlertPublished(region, category string) {
	m.alerts.WithLabelValues(region, category).Inc()
}

// Delivered counts n alerts accepted by notifier's target.
func (m *Metrics) Delivered(notifier string, n int) {
	m.deliveries.WithLabelValues(notifier).Add(float64(n))
}

// Failed counts a failed delivery attempt.
func (m *Metrics) Failed(notifier string, permanent bool) {
	kind := "transient"
	if permanent {
		kind = "permanent"
	}
	m.failures.WithLabelValues(notifier, kind).Inc()
}

// DeadLettered counts an alert put in the dead-letter stream.
func (m *Metrics) DeadLettered(notifier string) { m.deadLetters.WithLabelValues(notifier).Inc() }

// Filtered counts an alert a notifier's filter did not admit.
func (m *Metrics) Filtered(notifier string) { m.filtered.WithLabelValues(notifier).Inc() }
