package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// Notifier choices for a run.
const (
	NotifierWebhook = "webhook" // alerts posted to the feed server's /hook: alert latency
	NotifierConsole = "console" // alerts printed to io.Discard
	NotifierNone    = "none"
)

// Options configure a run of the daemon against a feed server.
type Options struct {
	FeedURL  string // the feed server, e.g. http://127.0.0.1:8080
	Sources  int    // feeds /f/0 ... /f/<Sources-1>
	Schedule string // every source's schedule, e.g. "@every 1m"
	// Hosts spreads the sources over 127.0.0.1 .. 127.0.0.<Hosts> (the
	// feed server must listen on each, same port); 0 or 1: FeedURL's host.
	Hosts    int
	Duration time.Duration
	// Warmup is left out of the steady figures (CPU, CPU per poll,
	// memory growth): the start-up polls and baselines.
	Warmup time.Duration
	// Jitter is watch.jitter; nil leaves the daemon's default.
	Jitter   *time.Duration
	Notifier string
	// ItemsRetention is nats.retention.items (0: the daemon's default).
	ItemsRetention time.Duration
	// DaemonLogger is the daemon's logger (nil: JSON at info level to
	// io.Discard: formatted as in production, written nowhere).
	DaemonLogger *slog.Logger
	// Progress receives a line every ProgressEvery (nil: none).
	Progress      *slog.Logger
	ProgressEvery time.Duration
	// CPUProfile, when set, receives a CPU profile of the steady window;
	// HeapProfile a heap profile (in use and allocated since start) taken
	// at the end of the run.
	CPUProfile  io.Writer
	HeapProfile io.Writer
	// HeapBase, when set, receives a heap profile taken when the warm-up
	// ends: with HeapProfile, `go tool pprof -base` shows what grew during
	// the steady window.
	HeapBase io.Writer
	// AnchorTime is how long the anchor (gofeed parsing the sample body)
	// is measured, split in three batches (0: 3s).
	AnchorTime time.Duration
}

// Sample is one observation of the daemon's process, every second.
type Sample struct {
	At       float64 `json:"t_s"` // since the daemon started
	CPU      float64 `json:"cpu_s"`
	RSS      int64   `json:"rss"`
	Peak     int64   `json:"peak_rss"`
	HeapLive int64   `json:"heap_live"`
	// HeapFree is heap memory the Go runtime holds free and has not yet
	// returned to the system (part of RSS, not of the live heap).
	HeapFree int64 `json:"heap_free"`
	// Items is the number of messages on QUALITYWATCH_ITEMS.
	Items  int64        `json:"items"`
	Server ServerCounts `json:"server"`
}

// Run runs the daemon against the feed server at opts.FeedURL for
// opts.Duration, sampling it, then measures the anchor and reports.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Sources < 1 || opts.Duration <= 0 || opts.FeedURL == "" {
		return nil, errors.New("scale: want sources, a duration and a feed server")
	}
	store, err := os.MkdirTemp("", "qwscale-store-")
	if err != nil {
		return nil, fmt.Errorf("store directory: %w", err)
	}
	defer os.RemoveAll(store)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(daemonConfig(opts, store, port), func(string) string { return "" }, store)
	if err != nil {
		return nil, fmt.Errorf("generated config: %w", err)
	}
	spec, err := config.ParseSchedule(opts.Schedule, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	next := spec.Next(time.Now())
	logger := opts.DaemonLogger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	daemon, err := app.Build(cfg, logger, io.Discard, "scale")
	if err != nil {
		return nil, fmt.Errorf("build daemon: %w", err)
	}
	feeds := &feedClient{base: strings.TrimSuffix(opts.FeedURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	sample, err := feeds.sample(ctx)
	if err != nil {
		return nil, err
	}

	r := &Report{Machine: ThisMachine(), Sources: opts.Sources, Hosts: opts.Hosts, Schedule: opts.Schedule,
		Interval: spec.Next(next).Sub(next).Seconds(), Duration: opts.Duration.Seconds(), Warmup: opts.Warmup.Seconds(), Notifier: opts.Notifier}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cpu0, err := CPUTime()
	if err != nil {
		return nil, err
	}
	r.cpuStart = cpu0.Seconds()
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- daemon.Run(runCtx) }()

	nc, stream, err := connectItems(ctx, port, errc)
	if err != nil {
		stop()
		<-errc
		return nil, err
	}
	samples, serr := sampleRun(ctx, opts, start, stream, feeds, errc)
	r.Samples = samples
	if serr == nil {
		r.Server, serr = feeds.stats(ctx, false)
	}
	if serr == nil {
		r.Stores = storeSizes(ctx, jsOf(nc))
	}
	if opts.HeapProfile != nil && serr == nil {
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(opts.HeapProfile, 0); err != nil {
			serr = fmt.Errorf("heap profile: %w", err)
		}
	}
	nc.Close()
	stop()
	select {
	case err := <-errc:
		if err != nil && serr == nil {
			serr = fmt.Errorf("daemon: %w", err)
		}
	case <-time.After(app.ShutdownTimeout + 10*time.Second):
		serr = errors.Join(serr, errors.New("daemon did not stop in time"))
	}
	if serr != nil {
		return nil, serr
	}
	r.Anchor, err = MeasureAnchor(sample, opts.AnchorTime)
	if err != nil {
		return nil, err
	}
	r.summarise()
	return r, nil
}

// daemonConfig is the config file the daemon is built from.
func daemonConfig(opts Options, store string, natsPort int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "nats:\n  listen: \"127.0.0.1:%d\"\n  store_dir: %q\n", natsPort, store)
	if opts.ItemsRetention > 0 {
		fmt.Fprintf(&b, "  retention:\n    items: %s\n", opts.ItemsRetention)
	}
	b.WriteString("http:\n  listen: \"\"\nwatch:\n")
	if opts.Jitter != nil {
		fmt.Fprintf(&b, "  jitter: %s\n", *opts.Jitter)
	}
	b.WriteString("sources:\n")
	base := strings.TrimSuffix(opts.FeedURL, "/")
	for i := range opts.Sources {
		feedBase := base
		if opts.Hosts > 1 {
			feedBase = strings.Replace(base, "127.0.0.1", fmt.Sprintf("127.0.0.%d", 1+i%opts.Hosts), 1)
		}
		fmt.Fprintf(&b, "  - name: feed-%05d\n    url: %q\n    schedule: %q\n", i, fmt.Sprintf("%s/f/%d", feedBase, i), opts.Schedule)
	}
	switch opts.Notifier {
	case NotifierWebhook:
		fmt.Fprintf(&b, "notifiers:\n  - name: hook\n    type: webhook\n    url: %q\n", base+"/hook")
	case NotifierConsole:
		b.WriteString("notifiers:\n  - name: console\n    type: console\n")
	}
	return []byte(b.String())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// connectItems connects to the daemon's embedded server once it listens,
// and returns the items stream. It gives up when the daemon stops.
func connectItems(ctx context.Context, port int, errc <-chan error) (*nats.Conn, jetstream.Stream, error) {
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		nc, err := nats.Connect(url, nats.Name("qwscale"))
		if err == nil {
			js, _ := jetstream.New(nc) // never fails on a live connection
			s, serr := js.Stream(ctx, bus.ItemsStream)
			if serr == nil {
				return nc, s, nil
			}
			nc.Close()
			err = serr
		}
		select {
		case derr := <-errc:
			return nil, nil, fmt.Errorf("daemon stopped before it was ready: %w", derr)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("connect to the daemon's nats at %s: %w", url, err)
		}
	}
}

func jsOf(nc *nats.Conn) jetstream.JetStream {
	js, _ := jetstream.New(nc)
	return js
}

// sampleRun samples the process every second for opts.Duration, profiling
// the steady window when asked.
func sampleRun(ctx context.Context, opts Options, start time.Time, stream jetstream.Stream, feeds *feedClient, errc <-chan error) ([]Sample, error) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	heap := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/free:bytes"}}
	take := func() (Sample, error) {
		var s Sample
		cpu, err := CPUTime()
		if err != nil {
			return s, err
		}
		s.At, s.CPU = time.Since(start).Seconds(), cpu.Seconds()
		if s.RSS, s.Peak, err = Resident(); err != nil {
			return s, err
		}
		metrics.Read(heap)
		if heap[0].Value.Kind() == metrics.KindUint64 {
			s.HeapLive = int64(heap[0].Value.Uint64())
		}
		if heap[1].Value.Kind() == metrics.KindUint64 {
			s.HeapFree = int64(heap[1].Value.Uint64())
		}
		if info, err := stream.Info(ctx); err == nil {
			s.Items = int64(info.State.Msgs)
		}
		st, err := feeds.stats(ctx, true)
		if err != nil {
			return s, err
		}
		s.Server = st.Counts
		return s, nil
	}
	first, err := take()
	if err != nil {
		return nil, err
	}
	samples := []Sample{first}
	profiling, based := false, false
	defer func() {
		if profiling {
			pprof.StopCPUProfile()
		}
	}()
	every := max(opts.ProgressEvery, time.Second)
	lastProgress := time.Now()
	for time.Since(start) < opts.Duration {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-errc:
			return nil, fmt.Errorf("daemon stopped during the run: %w", err)
		case <-tick.C:
		}
		s, err := take()
		if err != nil {
			return nil, err
		}
		samples = append(samples, s)
		if opts.HeapBase != nil && !based && time.Since(start) >= opts.Warmup {
			runtime.GC()
			if err := pprof.Lookup("heap").WriteTo(opts.HeapBase, 0); err != nil {
				return nil, fmt.Errorf("heap profile at the end of the warm-up: %w", err)
			}
			based = true
		}
		if opts.CPUProfile != nil && !profiling && time.Since(start) >= opts.Warmup {
			if err := pprof.StartCPUProfile(opts.CPUProfile); err != nil {
				return nil, fmt.Errorf("cpu profile: %w", err)
			}
			profiling = true
		}
		if opts.Progress != nil && time.Since(lastProgress) >= every {
			lastProgress = time.Now()
			prev := samples[max(len(samples)-1-int(every/time.Second), 0)]
			opts.Progress.Info("running", "t", fmt.Sprintf("%.0fs", s.At),
				"cpu_pct", fmt.Sprintf("%.1f", 100*(s.CPU-prev.CPU)/(s.At-prev.At)),
				"rss_mb", s.RSS>>20, "peak_mb", s.Peak>>20, "heap_live_mb", s.HeapLive>>20,
				"items", s.Items, "requests", s.Server.Requests, "alerts", s.Server.Alerts)
		}
	}
	return samples, nil
}

// StreamSize is what a stream or bucket holds.
type StreamSize struct {
	Msgs  uint64 `json:"msgs"`
	Bytes uint64 `json:"bytes"`
}

func storeSizes(ctx context.Context, js jetstream.JetStream) map[string]StreamSize {
	out := map[string]StreamSize{}
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			continue
		}
		if info, err := s.Info(ctx); err == nil {
			out[name] = StreamSize{Msgs: info.State.Msgs, Bytes: info.State.Bytes}
		}
	}
	return out
}

// feedClient asks the feed server for its sample body and its stats.
type feedClient struct {
	base string
	http *http.Client
}

func (c *feedClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("feed server: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("feed server: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("feed server %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("feed server %s: status %d", path, resp.StatusCode)
	}
	return b, nil
}

func (c *feedClient) sample(ctx context.Context) ([]byte, error) { return c.get(ctx, "/sample") }

func (c *feedClient) stats(ctx context.Context, countsOnly bool) (ServerStats, error) {
	path := "/stats"
	if countsOnly {
		path += "?counts"
	}
	var st ServerStats
	b, err := c.get(ctx, path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("feed server stats: %w", err)
	}
	return st, nil
}
