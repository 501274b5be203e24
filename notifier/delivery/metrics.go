package delivery

// Metrics counts what the runtime does; the daemon implements it with
// Prometheus. A nil Metrics counts nothing.
type Metrics interface {
	// Delivered counts n alerts accepted by the target (a digest counts
	// each alert it carried).
	Delivered(notifier string, n int)
	// Failed counts one failed delivery attempt.
	Failed(notifier string, permanent bool)
	// DeadLettered counts one alert put on the dead-letter stream.
	DeadLettered(notifier string)
	// Filtered counts one alert the notifier's filter did not admit.
	Filtered(notifier string)
}

type noMetrics struct{}

func (noMetrics) Delivered(string, int) {}
func (noMetrics) Failed(string, bool)   {}
func (noMetrics) DeadLettered(string)   {}
func (noMetrics) Filtered(string)       {}

var _ Metrics = noMetrics{}
