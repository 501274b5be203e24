package app

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// watchParts are what every poller shares.
type watchParts struct {
	store   *watcher.Store
	pub     *watcher.Publisher
	feeds   *watcher.Fetcher
	limiter *watcher.HostLimiter
	loc     *time.Location
	owner   string
	started time.Time
}

func (a *App) watchParts(ctx context.Context, conn *bus.Conn) (*watchParts, error) {
	store, err := watcher.OpenStore(ctx, conn.JS)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(a.cfg.Watch.Timezone)
	if err != nil {
		return nil, fmt.Errorf("watch.timezone: %w", err)
	}
	// This replica among those sharing the sources: nats.instance, else
	// the host name with a random suffix (unique even on a shared host).
	owner := a.cfg.NATS.Instance
	if owner == "" {
		owner = config.DefaultInstance()
	}
	return &watchParts{
		store: store, pub: watcher.NewPublisher(conn.JS), loc: loc, owner: owner, started: time.Now(),
		feeds:   FeedFetcher(a.cfg, a.userAgent()),
		limiter: HostLimiter(a.cfg),
	}, nil
}

// jobs builds one poller per source, and declares the sources to the
// status board with the state they have in the store.
//
// build names the sources whose jobs are wanted (nil: all). The board is
// set to every source; a source's stored state is read only when the board
// does not know it yet (a reload leaves the others as they are).
func (w *watchParts) jobs(ctx context.Context, a *App, sources []config.Source, build map[string]bool) ([]watcher.Job, error) {
	var jobs []watcher.Job
	var views []sourceView
	for i, s := range sources {
		spec, err := config.ParseSchedule(s.Schedule, w.loc)
		if err != nil {
			return nil, fmt.Errorf("sources[%d].schedule: %w", i, err)
		}
		jitter := a.jitter(spec)
		if phased, ok := watcher.Spread(spec, s.Name); ok {
			// Each @every source at its own offset in the interval: no
			// second-long burst of thousands of polls, so no jitter needed.
			spec, jitter = phased, 0
		}
		src := WatcherSource(s)
		src.Interval = interval(spec, w.started)
		v := sourceView{Name: s.Name, Type: s.Type, URL: s.URL, Interval: src.Interval}
		if !a.board.knows(s.Name) {
			if st, err := w.store.State(ctx, s.Name); err == nil {
				v.Last = watcher.Observation{State: st.Health, Since: st.Since, Failures: st.Failures, LastOK: st.LastOK,
					NotBefore: st.NotBefore, Entries: st.Entries, Err: st.LastError}
				v.LastErr = st.LastError
				a.metrics.SourceHealth(s.Name, st.Health, st.Failures)
			}
		}
		views = append(views, v)
		if build != nil && !build[s.Name] {
			continue
		}
		jobs = append(jobs, watcher.Job{
			Poller: &watcher.Poller{
				Source:        src,
				Fetcher:       SourceFetcher(s, w.feeds, w.limiter),
				Store:         w.store,
				Publisher:     w.pub,
				Classifier:    a.classify,
				Metrics:       a.metrics,
				Logger:        a.logger.With("source", s.Name),
				Location:      w.loc,
				FailThreshold: a.cfg.Watch.FailureThreshold,
				Events:        w.pub,
				Observer:      a.board,
				Started:       w.started,
			},
			Schedule: spec,
			Jitter:   jitter,
		})
	}
	a.board.set(views)
	return jobs, nil
}

// interval is the time between two runs of a schedule after from.
func interval(spec cron.Schedule, from time.Time) time.Duration {
	next := spec.Next(from)
	return spec.Next(next).Sub(next)
}

// jitter is watch.jitter, or by default a tenth of the source's interval,
// at most config.MaxAutoJitter.
func (a *App) jitter(spec cron.Schedule) time.Duration {
	if j := a.cfg.Watch.Jitter; j != nil {
		return time.Duration(*j)
	}
	next := spec.Next(time.Now())
	return min(spec.Next(next).Sub(next)/10, config.MaxAutoJitter)
}
