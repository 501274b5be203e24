// Package app assembles the qualitywatch daemon from its config and runs it.
//
// Lifecycle, in order:
//
//  1. Build: load the classifier vocabulary and construct every notifier, so
//     a bad config fails before anything starts;
//  2. Start: connect to NATS (starting the embedded server when nats.url is
//     empty), create streams and buckets, start the HTTP endpoint, the
//     router, one delivery runner per notifier, then the scheduler;
//  3. Stop, on context cancellation, all within ShutdownTimeout: stop the
//     scheduler and wait for polls in flight, stop the router and the runners
//     (each finishes the message in hand), drain the NATS connection, stop
//     the embedded server, close the HTTP endpoint.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/classifier"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/metrics"
	"github.com/qualitywatch/qualitywatch/router"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// ShutdownTimeout bounds an orderly stop: the sum of its steps' shares.
const ShutdownTimeout = pollsGrace + consumersGrace + closeGrace

// App is a built daemon, ready to run.
type App struct {
	cfg        *config.Config
	logger     *slog.Logger
	metrics    *metrics.Metrics
	classify   watcher.Classifier
	categories []string
	vocab      *classifier.Vocabulary
	notifiers  []Notifier
	version    string
	health     *health
	board      *board
	conn       atomic.Pointer[bus.Conn]
	sched      atomic.Pointer[watcher.Scheduler]
	running    atomic.Pointer[daemon]
	mu         sync.Mutex // guards notifiers, which a reload replaces
}

// notifierList returns the notifiers in force.
func (a *App) notifierList() []Notifier {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.notifiers
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
	ns, err := buildNotifiers(cfg, stdout, cls.Vocabulary())
	if err != nil {
		return nil, err
	}
	return &App{
		cfg:        cfg,
		logger:     logger,
		metrics:    metrics.New(),
		classify:   cls,
		categories: cls.Categories(),
		vocab:      cls.Vocabulary(),
		notifiers:  ns,
		version:    version,
		health:     &health{},
		board:      newBoard(),
	}, nil
}

// Run starts the daemon and blocks until ctx is cancelled, then stops it in
// order. It returns the first error that stopped it, if any.
func (a *App) Run(ctx context.Context) error {
	d := &daemon{a: a, errc: make(chan error, 1), notifiers: map[string]*runningNotifier{}}
	if err := d.start(ctx); err != nil {
		d.stop()
		return err
	}
	a.running.Store(d)
	defer a.running.Store(nil)
	a.health.setRunning(true)
	summaryDone := make(chan struct{})
	go a.board.logSummaries(summaryDone, summaryEvery, a.logger)
	a.logger.Info("qualitywatch running", "version", a.version, "sources", len(a.cfg.Sources),
		"notifiers", len(a.notifierList()), "nats", a.natsDesc(d.conn))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-d.errc:
	}
	close(summaryDone)
	a.health.setRunning(false)
	a.logger.Info("stopping")
	d.stop()
	return runErr
}

// daemon is a running App: what was started, so that it can be stopped in
// order, and changed by a reload.
type daemon struct {
	a *App

	conn     *bus.Conn
	stopHTTP func(context.Context) error
	// Consumers run under their own context so that they stop after the
	// scheduler, not at the same moment.
	consumeCtx    context.Context
	stopConsumers context.CancelFunc
	pollCtx       context.Context
	stopPolls     context.CancelFunc
	wg            sync.WaitGroup
	errc          chan error
	sched         *watcher.Scheduler
	parts         *watchParts

	mu        sync.Mutex // guards what a reload changes
	cfg       *config.Config
	notifiers map[string]*runningNotifier
}

// start brings the daemon up, step by step; on error, stop unwinds
// whatever was started.
func (d *daemon) start(ctx context.Context) error {
	a := d.a
	d.cfg = a.cfg
	conn, err := bus.Connect(ctx, a.busOptions(), a.logger)
	if err != nil {
		return err
	}
	d.conn = conn
	setupCtx, cancel := context.WithTimeout(ctx, bus.SetupTimeout)
	err = bus.SetupRetrying(setupCtx, conn.JS, a.retention(), a.cfg.NATS.Replicas, a.logger)
	cancel()
	if err != nil {
		return err
	}
	a.health.setNATS(conn)
	a.conn.Store(conn)
	if d.stopHTTP, err = a.serveHTTP(); err != nil {
		return err
	}
	d.consumeCtx, d.stopConsumers = context.WithCancel(context.WithoutCancel(ctx))
	// Every notifier's consumer exists before the router publishes anything:
	// a new notifier starts with the alerts published from then on.
	for _, n := range a.notifierList() {
		if err := d.startNotifier(ctx, n, d.cfg.Notifiers[n.index]); err != nil {
			return err
		}
	}
	d.goRun("router", d.consumeCtx, router.New(conn.JS, a.logger, a.metrics).Run)
	d.pollCtx, d.stopPolls = context.WithCancel(context.WithoutCancel(ctx))
	if d.parts, err = a.watchParts(d.pollCtx, conn); err != nil {
		return err
	}
	d.sched = watcher.NewScheduler(a.logger, d.parts.loc, d.parts.owner)
	// On the embedded server (its store locked to this process) no other
	// replica polls: poll slots need no claims.
	d.sched.Solo = a.cfg.NATS.URL == ""
	jobs, err := d.parts.jobs(d.pollCtx, a, d.cfg.Sources)
	if err != nil {
		return err
	}
	d.sched.Start(d.pollCtx, jobs)
	a.sched.Store(d.sched)
	return nil
}

// goRun runs a component until its context ends; a component that stops
// on its own with an error stops the daemon.
func (d *daemon) goRun(name string, ctx context.Context, run func(context.Context) error) {
	d.wg.Go(func() {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			d.a.logger.Error("component stopped", "component", name, "err", err)
			select {
			case d.errc <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		}
	})
}

// Shares of ShutdownTimeout for each step of an orderly stop.
const (
	pollsGrace     = 3 * time.Second // polls in flight finish, then are cancelled
	consumersGrace = 5 * time.Second // consumers finish the message in hand
	closeGrace     = 2 * time.Second // drain NATS, stop the embedded server and HTTP
)

// stop stops whatever was started, in order, within ShutdownTimeout. What
// does not finish in its share is logged and left: an alert in hand that
// was not acknowledged is redelivered after a restart, so nothing is lost.
func (d *daemon) stop() {
	a := d.a
	start := time.Now()
	// 1. No new polls; polls in flight get their share, then are cancelled.
	if d.sched != nil {
		polls := d.sched.Stop()
		select {
		case <-polls.Done():
		case <-time.After(pollsGrace):
			a.logger.Warn("polls still running at shutdown; cancelling them")
		}
		d.stopPolls()
		<-polls.Done()
		releaseCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		d.sched.ReleaseLeases(releaseCtx)
		cancel()
	} else if d.stopPolls != nil {
		d.stopPolls()
	}
	// 2. Consumers finish the message in hand and stop.
	if d.stopConsumers != nil {
		d.stopConsumers()
		consumersCtx, cancel := context.WithTimeout(context.Background(), consumersGrace)
		waitOrTimeout(consumersCtx, &d.wg, a.logger)
		cancel()
	}
	// 3. Drain the connection, stop the embedded server, close HTTP.
	closeCtx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	if d.conn != nil {
		if err := d.conn.Close(closeCtx); err != nil {
			a.logger.Warn("nats did not drain in time; closed it", "err", err)
		}
	}
	if d.stopHTTP != nil {
		if err := d.stopHTTP(closeCtx); err != nil {
			a.logger.Warn("http server did not stop in time", "err", err)
		}
	}
	a.conn.Store(nil)
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
		feeds: &watcher.Fetcher{
			UserAgent: a.userAgent(),
			MaxBytes:  a.cfg.Watch.MaxBytes,
			Timeout:   a.cfg.MaxFetchTimeout(),
		},
		limiter: HostLimiter(a.cfg),
	}, nil
}

// jobs builds one poller per source, and declares the sources to the
// status board with the state they have in the store.
func (w *watchParts) jobs(ctx context.Context, a *App, sources []config.Source) ([]watcher.Job, error) {
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
		v := sourceView{Name: s.Name, Type: s.Type, URL: s.URL, Interval: src.Interval}
		if st, err := w.store.State(ctx, s.Name); err == nil {
			v.Last = watcher.Observation{State: st.Health, Since: st.Since, Failures: st.Failures, LastOK: st.LastOK,
				NotBefore: st.NotBefore, Entries: st.Entries, Err: st.LastError}
			v.LastErr = st.LastError
			a.metrics.SourceHealth(s.Name, st.Health, st.Failures)
		}
		views = append(views, v)
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
