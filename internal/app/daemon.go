package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/router"
	"github.com/qualitywatch/qualitywatch/watcher"
)

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
	jobs, err := d.parts.jobs(d.pollCtx, a, d.cfg.Sources, nil)
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
