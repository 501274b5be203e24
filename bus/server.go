package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options say how to reach NATS.
type Options struct {
	URL      string // empty: start an embedded server
	Listen   string // embedded server's client address; "" = in-process only
	StoreDir string // embedded JetStream storage
	Name     string // client connection name
	// Credentials for an external server (optional).
	CredsFile string
	Token     string
	User      string
	Password  string
}

// Conn is a live connection to NATS JetStream, and the embedded server when
// there is one.
type Conn struct {
	NC     *nats.Conn
	JS     jetstream.JetStream
	server *server.Server
	unlock func() // releases the store directory lock
	logger *slog.Logger
}

// Connect starts the embedded server when opts.URL is empty, then connects.
func Connect(_ context.Context, opts Options, logger *slog.Logger) (*Conn, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Conn{logger: logger}
	natsOpts := []nats.Option{
		nats.Name(opts.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
	}
	url := opts.URL
	if url == "" {
		if opts.StoreDir == "" {
			return nil, errors.New("embedded nats: store_dir is empty")
		}
		unlock, err := lockStore(opts.StoreDir)
		if err != nil {
			return nil, err
		}
		ns, err := startEmbedded(opts)
		if err != nil {
			unlock()
			return nil, err
		}
		c.server, c.unlock = ns, unlock
		natsOpts = append(natsOpts, nats.InProcessServer(ns))
		logger.Info("embedded nats started", "listen", listenDesc(opts.Listen), "store_dir", opts.StoreDir)
	} else {
		switch {
		case opts.CredsFile != "":
			natsOpts = append(natsOpts, nats.UserCredentials(opts.CredsFile))
		case opts.Token != "":
			natsOpts = append(natsOpts, nats.Token(opts.Token))
		case opts.User != "":
			natsOpts = append(natsOpts, nats.UserInfo(opts.User, opts.Password))
		}
	}
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		c.shutdownServer()
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	c.NC = nc
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		c.shutdownServer()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	c.JS = js
	return c, nil
}

func listenDesc(listen string) string {
	if listen == "" {
		return "in-process only"
	}
	return listen
}

func startEmbedded(opts Options) (*server.Server, error) {
	so := &server.Options{
		ServerName: "qualitywatch",
		JetStream:  true,
		StoreDir:   opts.StoreDir,
		NoSigs:     true,
		NoLog:      true,
		DontListen: opts.Listen == "",
		// The embedded server serves one process; keep its footprint small.
		JetStreamMaxMemory: 64 << 20,
	}
	if opts.Listen != "" {
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: listen %q: %w", opts.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("embedded nats: listen %q: bad port: %w", opts.Listen, err)
		}
		so.Host, so.Port = host, p
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(15 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready within 15s (is %s free?)", listenDesc(opts.Listen))
	}
	return ns, nil
}

// ClientURL is the embedded server's client URL, or "" when there is no
// embedded server or it does not listen.
func (c *Conn) ClientURL() string {
	if c.server == nil {
		return ""
	}
	return c.server.ClientURL()
}

// Close drains the connection and stops the embedded server, within ctx.
func (c *Conn) Close(ctx context.Context) error {
	var errs []error
	if c.NC != nil && !c.NC.IsClosed() {
		done := make(chan struct{})
		c.NC.SetClosedHandler(func(*nats.Conn) { close(done) })
		if err := c.NC.Drain(); err != nil {
			c.NC.Close()
		} else {
			select {
			case <-done:
			case <-ctx.Done():
				c.NC.Close()
				errs = append(errs, fmt.Errorf("drain nats connection: %w", ctx.Err()))
			}
		}
	}
	c.shutdownServer()
	return errors.Join(errs...)
}

func (c *Conn) shutdownServer() {
	if c.server == nil {
		return
	}
	c.server.Shutdown()
	c.server.WaitForShutdown()
	c.server = nil
	c.unlock()
}
