//go:build linux

// Command qwscale is qualitywatch's scale harness (see package scale):
//
//	qwscale run   [flags]  run the daemon against a feed server and report
//	qwscale serve [flags]  serve the feeds (run starts one itself)
//
// Examples (the figures of BENCHMARKS.md):
//
//	go run ./internal/scale/cmd/qwscale run -mode 304 -sources 5000 -schedule '@every 1m' -duration 3m
//	go run ./internal/scale/cmd/qwscale run -mode new -sources 500 -schedule '@every 5s' -duration 2m
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/scale"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: qwscale run|serve|windows [flags] (-h for flags)")
		return 2
	}
	var err error
	switch args[0] {
	case "run":
		err = runCmd(ctx, args[1:], stdout, stderr, logger)
	case "serve":
		err = serveCmd(ctx, args[1:], stdout, stderr)
	case "windows":
		err = windowsCmd(args[1:], stdout, stderr)
	default:
		err = fmt.Errorf("unknown command %q: want run, serve or windows", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if err != nil {
		logger.Error("qwscale failed", "err", err)
		return 1
	}
	return 0
}

// feedFlags are the flags serve and run share: what the feeds are.
type feedFlags struct {
	mode       string
	items      int
	newItems   int
	matchEvery int
}

func (f *feedFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.mode, "mode", string(scale.Mode304), "feed mode: 304, new or static-no-etag")
	fs.IntVar(&f.items, "items", 20, "entries in each feed body")
	fs.IntVar(&f.newItems, "new", 20, "mode new: entries new at every poll (at most -items)")
	fs.IntVar(&f.matchEvery, "match-every", 20, "one entry in N is a quality notice that alerts (0: none)")
}

func (f *feedFlags) args() []string {
	return []string{"-mode", f.mode, "-items", fmt.Sprint(f.items), "-new", fmt.Sprint(f.newItems), "-match-every", fmt.Sprint(f.matchEvery)}
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qwscale serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ff feedFlags
	ff.register(fs)
	feeds := fs.Int("feeds", 5000, "feeds served, at /f/0 .. /f/N-1")
	interval := fs.Duration("interval", time.Minute, "the daemon's interval, for schedule lag")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	hosts := fs.Int("hosts", 1, "also listen on 127.0.0.2 .. 127.0.0.N, same port: feeds on N hosts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	mode, err := scale.ParseMode(ff.mode)
	if err != nil {
		return err
	}
	h, err := scale.NewFeeds(scale.FeedOptions{Mode: mode, Feeds: *feeds, Items: ff.items, New: ff.newItems,
		MatchEvery: ff.matchEvery, Interval: *interval})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listeners := []net.Listener{l}
	port := l.Addr().(*net.TCPAddr).Port
	for k := 2; k <= *hosts; k++ {
		lk, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:%d", k, port))
		if err != nil {
			return fmt.Errorf("listen on host %d: %w", k, err)
		}
		listeners = append(listeners, lk)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "listening http://%s\n", l.Addr())
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- srv.Serve(l) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer, logger *slog.Logger) error {
	fs := flag.NewFlagSet("qwscale run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ff feedFlags
	ff.register(fs)
	sources := fs.Int("sources", 5000, "sources (feeds) the daemon watches")
	schedule := fs.String("schedule", "@every 1m", "every source's schedule")
	duration := fs.Duration("duration", 3*time.Minute, "how long the daemon runs")
	warmup := fs.Duration("warmup", -1, "left out of the steady figures (default: the interval plus 10s, at most half the run)")
	jitter := fs.String("jitter", "0s", `watch.jitter ("default": the daemon's own, a tenth of the interval)`)
	notifier := fs.String("notifier", scale.NotifierWebhook, "webhook (to the feed server: alert latency), console (to io.Discard) or none")
	retention := fs.Duration("retention-items", 0, "nats.retention.items (0: the daemon's default, 30 days)")
	server := fs.String("server", "", "use this feed server (URL) instead of starting one")
	hosts := fs.Int("hosts", 1, "spread the feeds over N loopback hosts (127.0.0.1 .. 127.0.0.N), as sources spread over many sites")
	logLevel := fs.String("log-level", "info", "the daemon's log level (logs are formatted, then discarded): debug, info, warn, error or off")
	logFile := fs.String("daemon-log", "", "write the daemon's logs (JSON) to this file instead of discarding them")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the steady window to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile at the end of the run to this file")
	memBase := fs.String("membase", "", "write a heap profile at the end of the warm-up to this file (compare with -memprofile: go tool pprof -base)")
	memRate := fs.Int("memprofilerate", 0, "runtime.MemProfileRate for the heap profiles (1: every allocation, exact but slow; 0: Go's default, one sample per 512 KiB)")
	jsonOut := fs.String("json", "", "also write the report, samples included, as JSON to this file")
	window := fs.Duration("window", 0, "also report CPU per poll and memory growth in windows of this length (0: none)")
	anchorTime := fs.Duration("anchor", 3*time.Second, "time spent measuring the anchor (gofeed parse)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := scale.ParseMode(ff.mode); err != nil {
		return err
	}
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate // before the daemon allocates anything
	}
	spec, err := config.ParseSchedule(*schedule, time.UTC)
	if err != nil {
		return fmt.Errorf("-schedule: %w", err)
	}
	next := spec.Next(time.Now())
	interval := spec.Next(next).Sub(next)
	if *warmup < 0 {
		*warmup = min(interval+10*time.Second, *duration/2)
	}
	opts := scale.Options{Sources: *sources, Schedule: *schedule, Duration: *duration, Warmup: *warmup,
		Notifier: *notifier, ItemsRetention: *retention, AnchorTime: *anchorTime,
		Progress: logger, ProgressEvery: 10 * time.Second, FeedURL: *server, Hosts: *hosts}
	if *jitter != "default" {
		j, err := time.ParseDuration(*jitter)
		if err != nil {
			return fmt.Errorf("-jitter: %w", err)
		}
		opts.Jitter = &j
	}
	logOut := io.Discard
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			return fmt.Errorf("-daemon-log: %w", err)
		}
		defer f.Close()
		logOut = f
	}
	if opts.DaemonLogger, err = daemonLogger(*logLevel, logOut); err != nil {
		return err
	}
	for _, p := range []struct {
		path string
		dst  *io.Writer
	}{{*cpuProfile, &opts.CPUProfile}, {*memProfile, &opts.HeapProfile}, {*memBase, &opts.HeapBase}} {
		if p.path == "" {
			continue
		}
		f, err := os.Create(p.path)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		defer f.Close()
		*p.dst = f
	}
	if opts.FeedURL == "" {
		url, stopServer, err := startServer(ctx, ff, *sources, *hosts, interval, stderr)
		if err != nil {
			return err
		}
		defer stopServer()
		opts.FeedURL = url
	}
	logger.Info("running the daemon", "mode", ff.mode, "sources", *sources, "schedule", *schedule, "duration", *duration, "warmup", *warmup, "feeds", opts.FeedURL)
	r, err := scale.Run(ctx, opts)
	if err != nil {
		return err
	}
	r.Mode = ff.mode
	r.Print(stdout)
	if *window > 0 {
		r.PrintWindows(stdout, window.Seconds())
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

func daemonLogger(level string, out io.Writer) (*slog.Logger, error) {
	if level == "off" {
		return slog.New(slog.DiscardHandler), nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	return slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: l})), nil
}

// startServer starts `qwscale serve` (this very binary) in a process of its
// own, so that its CPU is not the daemon's, and returns its URL.
func startServer(ctx context.Context, ff feedFlags, feeds, hosts int, interval time.Duration, stderr io.Writer) (string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("find this program: %w", err)
	}
	args := append([]string{"serve", "-feeds", fmt.Sprint(feeds), "-hosts", fmt.Sprint(hosts), "-interval", interval.String()}, ff.args()...)
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("feed server: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("start feed server: %w", err)
	}
	stopServer := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stopServer()
		return "", nil, fmt.Errorf("feed server did not start: %w", err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if !ok {
		stopServer()
		return "", nil, fmt.Errorf("feed server said %q", line)
	}
	return url, stopServer, nil
}

// windowsCmd reads the JSON report of an earlier run and prints its
// windows.
func windowsCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("qwscale windows", flag.ContinueOnError)
	fs.SetOutput(stderr)
	window := fs.Duration("window", 2*time.Minute, "window length")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: qwscale windows [-window 2m] REPORT.json")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	var r scale.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("read report %s: %w", fs.Arg(0), err)
	}
	r.PrintWindows(stdout, window.Seconds())
	return nil
}
