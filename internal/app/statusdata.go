package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
)

// chartDays is how many days the alerts chart covers; sourceAlertDays the
// per-source alert count.
const (
	chartDays       = 30
	sourceAlertDays = 7
	recentAlerts    = 50
	maxDeadLetters  = 100 // per notifier on the page
)

// recentAlert is an alert as the status page lists it.
type recentAlert struct {
	alert.Alert
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"-"`
	Delivered []string  `json:"delivered"` // notifiers that delivered it
}

// alertStats are the alerts of the last chartDays days, counted.
type alertStats struct {
	Days      []time.Time      // midnight of each day, oldest first, in the page's zone
	PerDay    []map[string]int // category -> alerts, per day
	PerSource map[string]int   // source -> alerts in the last sourceAlertDays days
}

// deadLetter is one alert a notifier could not deliver.
type deadLetter struct {
	Notifier string    `json:"notifier"`
	Seq      uint64    `json:"seq"`
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Link     string    `json:"link"`
	Reason   string    `json:"reason"`
	Time     time.Time `json:"time"`
}

// readRecentAlerts reads the newest alerts, newest first.
func readRecentAlerts(ctx context.Context, js jetstream.JetStream, n int) ([]recentAlert, error) {
	s, err := js.Stream(ctx, bus.AlertsStream)
	if err != nil {
		return nil, fmt.Errorf("alerts stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("alerts stream: %w", err)
	}
	var out []recentAlert
	for seq := info.State.LastSeq; seq >= info.State.FirstSeq && seq > 0 && len(out) < n; seq-- {
		m, err := s.GetMsg(ctx, seq)
		if bus.IsNotFound(err) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("alert %d: %w", seq, err)
		}
		a, err := alert.Decode(m.Data)
		if err != nil {
			continue
		}
		out = append(out, recentAlert{Alert: a, Seq: seq, Time: m.Time})
	}
	return out, nil
}

// readAlertStats counts the alerts of the last chartDays days by day and
// category (the subject's last token) and by source (a header), reading
// headers only.
func readAlertStats(ctx context.Context, js jetstream.JetStream, now time.Time, loc *time.Location) (alertStats, error) {
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	st := alertStats{PerSource: map[string]int{}}
	for i := chartDays - 1; i >= 0; i-- {
		st.Days = append(st.Days, today.AddDate(0, 0, -i))
		st.PerDay = append(st.PerDay, map[string]int{})
	}
	start := st.Days[0]
	c, err := js.OrderedConsumer(ctx, bus.AlertsStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start, HeadersOnly: true,
	})
	if err != nil {
		return st, fmt.Errorf("read alerts: %w", err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("read alerts: %w", err)
	}
	pending := int(info.NumPending)
	weekAgo := now.Add(-sourceAlertDays * 24 * time.Hour)
	for pending > 0 {
		batch, err := c.FetchNoWait(min(pending, 500))
		if err != nil {
			return st, fmt.Errorf("read alerts: %w", err)
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				continue
			}
			day := int(meta.Timestamp.In(loc).Sub(start).Hours() / 24)
			if day >= 0 && day < len(st.PerDay) {
				subj := msg.Subject()
				st.PerDay[day][subj[strings.LastIndexByte(subj, '.')+1:]]++
			}
			if src := msg.Headers().Get(bus.HeaderSource); src != "" && meta.Timestamp.After(weekAgo) {
				st.PerSource[src]++
			}
		}
		if batch.Error() != nil && !errors.Is(batch.Error(), jetstream.ErrNoMessages) {
			return st, fmt.Errorf("read alerts: %w", batch.Error())
		}
		if got == 0 {
			break
		}
		pending -= got
	}
	return st, nil
}

// readDeadLetters lists each notifier's dead letters, oldest first, at most
// maxDeadLetters each.
func readDeadLetters(ctx context.Context, js jetstream.JetStream, notifiers []string) (map[string][]deadLetter, error) {
	out := map[string][]deadLetter{}
	s, err := js.Stream(ctx, bus.DeadLetterStream)
	if err != nil {
		return out, fmt.Errorf("dead-letter stream: %w", err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(bus.DeadLetterPrefix+".>"))
	if err != nil {
		return out, fmt.Errorf("dead-letter stream: %w", err)
	}
	for _, n := range notifiers {
		if info.State.Subjects[bus.DeadLetterSubject(n)] == 0 {
			continue
		}
		c, err := js.OrderedConsumer(ctx, bus.DeadLetterStream, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{bus.DeadLetterSubject(n)},
		})
		if err != nil {
			return out, fmt.Errorf("dead letters of %s: %w", n, err)
		}
		batch, err := c.FetchNoWait(maxDeadLetters)
		if err != nil {
			return out, fmt.Errorf("dead letters of %s: %w", n, err)
		}
		for msg := range batch.Messages() {
			meta, err := msg.Metadata()
			if err != nil {
				continue
			}
			dl := deadLetter{Notifier: n, Seq: meta.Sequence.Stream, Time: meta.Timestamp, Reason: msg.Headers().Get(bus.HeaderReason)}
			if a, err := alert.Decode(msg.Data()); err == nil {
				dl.ID, dl.Title, dl.Link = a.ID, a.Title, a.Link
			}
			out[n] = append(out[n], dl)
		}
	}
	return out, nil
}
