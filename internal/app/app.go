// Package app assembles the qualitywatch daemon from its config and runs it.
//
// Lifecycle, in order:
//
//  1. Build: load the classifier vocabulary and construct every notifier, so
//     a bad config fails before anything starts;
//  2. Start: connect to NATS (starting the embedded server when nats.url is
//     empty), create streams and buckets, start the HTTP endpoint, the
//     classifier stage, one delivery runner per notifier, then the scheduler;
//  3. Stop, on context cancellation, all within ShutdownTimeout: stop the
//     scheduler and wait for polls in flight, stop the stage and the runners
//     (each finishes the message in hand), drain the NATS connection, stop
//     the embedded server, close the HTTP endpoint.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/metrics"
	"github.com/qualitywatch/qualitywatch/stage"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// ShutdownTimeout bounds an orderly stop: the sum of its steps' shares.
const ShutdownTimeout = pollsGrace + consumersGrace + closeGrace

// App is a built daemon, ready to run.
type App struct {
	cfg       *config.Config
	logger    *slog.Logger
	metrics   *metrics.Metrics
	classify  watcher.Classifier
	notifiers []Notifier
	version   string
	health    *health
}

// Build checks and constructs everything that does not need the network.
// stdout receives console notifier output.
func Build(cfg *config.Config, logger *slog.Logger, stdout io.Writer, version string) (*App, error) {
	cls, err := NewClassifier(cfg.Classifier)
	if err != nil {
		return nil, err
	}
	if err := checkCategories(cfg, cls.Categories()); err != nil {
		return nil, err
	}
	ns, err := buildNotifiers(cfg, stdout)
	if err != nil {
		return nil, err
	}
	return &App{
		cfg:       cfg,
		logger:    logger,
		metrics:   metrics.New(),
		classify:  cls,
		notifiers: ns,
		version:   version,
		health:    &health{},
	}, nil
}

// Run starts the daemon and blocks until ctx is cancelled, then stops it in
// order. It returns the first error that stopped it, if any.
func (a *App) Run(ctx context.Context) error {
	conn, err := bus.Connect(ctx, a.busOptions(), a.logger)
	if err != nil {
		return err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = bus.Setup(setupCtx, conn.JS, a.retention(), a.cfg.NATS.Replicas)
	cancel()
	if err != nil {
		_ = conn.Close(context.Background())
		return err
	}
	a.health.setNATS(conn)

	stopHTTP, err := a.serveHTTP()
	if err != nil {
		_ = conn.Close(context.Background())
		return err
	}

	// Consumers run under their own context so that they stop after the
	// scheduler, not at the same moment.
	consumeCtx, stopConsumers := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errc := make(chan error, 1+len(a.notifiers))
	goRun := func(name string, run func(context.Context) error) {
		wg.Go(func() {
			if err := run(consumeCtx); err != nil {
				a.logger.Error("component stopped", "component", name, "err", err)
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		})
	}
	// Every notifier's consumer exists before the stage publishes anything:
	// a new notifier starts with the alerts published from then on.
	for _, n := range a.notifiers {
		r, err := n.runner(conn.JS, a.logger, a.metrics)
		if err == nil {
			err = r.EnsureConsumer(ctx)
		}
		if err != nil {
			stopConsumers()
			wg.Wait()
			_ = conn.Close(context.Background())
			return fmt.Errorf("notifier %s: %w", n.Name, err)
		}
		goRun("notifier "+n.Name, r.Run)
	}
	goRun("classifier stage", stage.New(conn.JS, a.logger, a.metrics).Run)

	pollCtx, stopPolls := context.WithCancel(context.WithoutCancel(ctx))
	sched, err := a.startWatchers(pollCtx, conn)
	if err != nil {
		stopPolls()
		stopConsumers()
		wg.Wait()
		_ = conn.Close(context.Background())
		return err
	}
	a.health.setRunning(true)
	a.logger.Info("qualitywatch running", "version", a.version, "sources", len(a.cfg.Sources),
		"notifiers", len(a.notifiers), "nats", a.natsDesc(conn))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	a.health.setRunning(false)
	a.logger.Info("stopping")
	a.shutdown(sched, stopPolls, stopConsumers, &wg, conn, stopHTTP)
	return runErr
}

// Shares of ShutdownTimeout for each step of an orderly stop.
const (
	pollsGrace     = 3 * time.Second // polls in flight finish, then are cancelled
	consumersGrace = 5 * time.Second // consumers finish the message in hand
	closeGrace     = 2 * time.Second // drain NATS, stop the embedded server and HTTP
)

// shutdown stops everything in order within ShutdownTimeout. What does not
// finish in its share is logged and left: an alert in hand that was not
// acknowledged is redelivered after a restart, so nothing is lost.
func (a *App) shutdown(sched *watcher.Scheduler, stopPolls, stopConsumers context.CancelFunc, wg *sync.WaitGroup,
	conn *bus.Conn, stopHTTP func(context.Context) error) {
	start := time.Now()
	// 1. No new polls; polls in flight get their share, then are cancelled.
	polls := sched.Stop()
	select {
	case <-polls.Done():
	case <-time.After(pollsGrace):
		a.logger.Warn("polls still running at shutdown; cancelling them")
	}
	stopPolls()
	<-polls.Done()
	releaseCtx, cancel := context.WithTimeout(context.Background(), time.Second)
	sched.ReleaseLeases(releaseCtx)
	cancel()
	// 2. Consumers finish the message in hand and stop.
	stopConsumers()
	consumersCtx, cancel := context.WithTimeout(context.Background(), consumersGrace)
	waitOrTimeout(consumersCtx, wg, a.logger)
	cancel()
	// 3. Drain the connection, stop the embedded server, close HTTP.
	closeCtx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if err := conn.Close(closeCtx); err != nil {
		a.logger.Warn("nats did not drain in time; closed it", "err", err)
	}
	if err := stopHTTP(closeCtx); err != nil {
		a.logger.Warn("http server did not stop in time", "err", err)
	}
	a.logger.Info("stopped", "took", time.Since(start).Round(time.Millisecond))
}

func waitOrTimeout(ctx context.Context, wg *sync.WaitGroup, logger *slog.Logger) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		logger.Warn("consumers did not stop in time")
	}
}

func (a *App) busOptions() bus.Options {
	n := a.cfg.NATS
	return bus.Options{
		URL: n.URL, Listen: *n.Listen, StoreDir: n.StoreDir, Name: "qualitywatch",
		CredsFile: n.CredsFile, Token: n.Token, User: n.User, Password: n.Password,
	}
}

func (a *App) retention() bus.Retention {
	r := bus.DefaultRetention()
	c := a.cfg.NATS.Retention
	if c.Items > 0 {
		r.Items = time.Duration(c.Items)
	}
	if c.Alerts > 0 {
		r.Alerts = time.Duration(c.Alerts)
	}
	if c.DeadLetter > 0 {
		r.DeadLetter = time.Duration(c.DeadLetter)
	}
	return r
}

func (a *App) natsDesc(conn *bus.Conn) string {
	if a.cfg.NATS.URL != "" {
		return conn.NC.ConnectedUrlRedacted()
	}
	if u := conn.ClientURL(); u != "" && *a.cfg.NATS.Listen != "" {
		return "embedded, " + u
	}
	return "embedded, in-process"
}

// startWatchers builds one poller per source and starts the scheduler.
func (a *App) startWatchers(ctx context.Context, conn *bus.Conn) (*watcher.Scheduler, error) {
	store, err := watcher.OpenStore(ctx, conn.JS)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(a.cfg.Watch.Timezone)
	if err != nil {
		return nil, fmt.Errorf("watch.timezone: %w", err)
	}
	fetcher := &watcher.Fetcher{
		UserAgent: a.userAgent(),
		MaxBytes:  a.cfg.Watch.MaxBytes,
		Timeout:   a.cfg.MaxFetchTimeout(),
	}
	pub := watcher.NewPublisher(conn.JS)
	// The lease owner is the host name: stable across restarts, so a
	// restarted process is not locked out by its own previous lease.
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = fmt.Sprintf("pid-%d", os.Getpid())
	}
	sched := watcher.NewScheduler(a.logger, loc, host)
	var jobs []watcher.Job
	limiter := HostLimiter(a.cfg)
	for i, s := range a.cfg.Sources {
		spec, err := config.ParseSchedule(s.Schedule, loc)
		if err != nil {
			return nil, fmt.Errorf("sources[%d].schedule: %w", i, err)
		}
		jobs = append(jobs, watcher.Job{
			Poller: &watcher.Poller{
				Source:     WatcherSource(s),
				Fetcher:    SourceFetcher(s, fetcher, limiter),
				Store:      store,
				Publisher:  pub,
				Classifier: a.classify,
				Metrics:    a.metrics,
				Logger:     a.logger.With("source", s.Name),
				Location:   loc,
			},
			Schedule: spec,
			Jitter:   a.jitter(spec),
		})
	}
	sched.Start(ctx, jobs)
	return sched, nil
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

func (a *App) userAgent() string {
	if a.cfg.Watch.UserAgent != "" {
		return a.cfg.Watch.UserAgent
	}
	return "qualitywatch/" + a.version + " (+https://github.com/qualitywatch/qualitywatch)"
}

// ConnectNATS connects to the NATS the daemon uses, for commands that work
// on its data: nats.url; else the running daemon's embedded server on
// nats.listen; else, when no daemon runs, an embedded server on the same
// store directory. It makes sure the streams and buckets exist.
func ConnectNATS(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*bus.Conn, error) {
	a := &App{cfg: cfg}
	opts := a.busOptions()
	if opts.URL == "" && opts.Listen != "" {
		running := opts
		running.URL = "nats://" + opts.Listen
		if conn, err := bus.Connect(ctx, running, logger); err == nil {
			if _, err := conn.JS.AccountInfo(ctx); err == nil {
				opts = running
			}
			_ = conn.Close(ctx)
		}
	}
	conn, err := bus.Connect(ctx, opts, logger)
	if err != nil {
		return nil, err
	}
	if err := bus.Setup(ctx, conn.JS, a.retention(), cfg.NATS.Replicas); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}
