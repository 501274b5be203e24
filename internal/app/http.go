package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qualitywatch/qualitywatch/bus"
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
