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
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/classifier"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/metrics"
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
