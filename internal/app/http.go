package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/classifier/region"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
)

// health answers /healthz and /readyz.
type health struct {
	mu      sync.Mutex
	running bool
	conn    *bus.Conn
}

func (h *health) setRunning(v bool)   { h.mu.Lock(); h.running = v; h.mu.Unlock() }
func (h *health) setNATS(c *bus.Conn) { h.mu.Lock(); h.conn = c; h.mu.Unlock() }

// ready reports why the daemon cannot do its work, or nil.
func (h *health) ready(ctx context.Context) error {
	h.mu.Lock()
	running, conn := h.running, h.conn
	h.mu.Unlock()
	if !running || conn == nil {
		return errors.New("not running")
	}
	if !conn.NC.IsConnected() {
		return errors.New("nats disconnected")
	}
	if _, err := conn.JS.AccountInfo(ctx); err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	return nil
}

// serveHTTP starts /metrics, /healthz and /readyz on http.listen, and
// returns the function that stops it.
func (a *App) serveHTTP() (func(context.Context) error, error) {
	addr := *a.cfg.HTTP.Listen
	if addr == "" {
		return func(context.Context) error { return nil }, nil
	}
	mux := http.NewServeMux()
	st, err := a.statusPage()
	if err != nil {
		return nil, err
	}
	st.routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		a.health.mu.Lock()
		running := a.health.running
		a.health.mu.Unlock()
		if !running {
			http.Error(w, "starting or stopping", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.health.ready(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("http server stopped", "err", err)
		}
	}()
	a.logger.Info("http listening", "addr", ln.Addr().String())
	return srv.Shutdown, nil
}

// statusPage builds the status page and API on the daemon's parts.
func (a *App) statusPage() (*status, error) {
	loc, err := time.LoadLocation(a.cfg.Watch.Timezone)
	if err != nil {
		return nil, fmt.Errorf("watch.timezone: %w", err)
	}
	tmpl, err := newPageTemplate(loc)
	if err != nil {
		return nil, fmt.Errorf("status page template: %w", err)
	}
	return &status{
		board: a.board, tmpl: tmpl, loc: loc, version: a.version, token: a.cfg.HTTP.Token, logger: a.logger,
		names: func(kind, slug, lang string) string {
			if kind == "region" {
				return region.Name(slug, lang)
			}
			if slug == alert.HealthCategory {
				return map[string]string{"zh": "源状态", "en": "source health"}[lang]
			}
			return a.vocab.CategoryName(slug, lang)
		},
		js: func() jetstream.JetStream {
			if c := a.conn.Load(); c != nil {
				return c.JS
			}
			return nil
		},
		next: func(source string) time.Time {
			if s := a.sched.Load(); s != nil {
				return s.Next(source)
			}
			return time.Time{}
		},
		notifier: func() []string {
			ns := a.notifierList()
			names := make([]string, 0, len(ns))
			for _, n := range ns {
				names = append(names, n.Name)
			}
			return names
		},
		replay: a.replayDeadLetter,
		drop:   a.dropDeadLetter,
	}, nil
}

// dropDeadLetter deletes one of a notifier's dead letters.
func (a *App) dropDeadLetter(ctx context.Context, notifier string, seq uint64) error {
	c := a.conn.Load()
	if c == nil {
		return errors.New("not connected to NATS yet")
	}
	st, _, err := deadLetterMsg(ctx, c.JS, notifier, seq)
	if err != nil {
		return err
	}
	if err := st.DeleteMsg(ctx, seq); err != nil {
		return fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	return nil
}

// replayDeadLetter sends one of a notifier's dead letters again, as
// `qualitywatch replay` does, and removes it once the target accepted it.
func (a *App) replayDeadLetter(ctx context.Context, name string, seq uint64) error {
	c := a.conn.Load()
	if c == nil {
		return errors.New("not connected to NATS yet")
	}
	for _, n := range a.notifierList() {
		if n.Name != name {
			continue
		}
		err := delivery.ReplayOne(ctx, c.JS, n.Channel, n.Options, seq, a.logger)
		if errors.Is(err, delivery.ErrNoDeadLetter) {
			return fmt.Errorf("%w: %s has no dead letter %d", errNoDeadLetter, name, seq)
		}
		if err != nil {
			return fmt.Errorf("notifier %s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("%w: no notifier %s", errNoDeadLetter, name)
}
