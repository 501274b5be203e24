// Package cli implements the qualitywatch command line. Main is the whole
// program: cmd/qualitywatch only calls it, and tests call it the same way.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Logger *slog.Logger
}

// log returns the injected logger, or one that discards when a test
// calls a command directly without one.
func (e *Env) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

// errUsage marks an error caused by how the command was called (exit 2).
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

func commands() []command {
	return []command{
		{"run", "run the daemon: qualitywatch run --config FILE", cmdRun},
		{"check", "poll sources once and print each item with its verdict: qualitywatch check --config FILE [--matched] [SOURCE]", cmdCheck},
		{"source", "propose a list-page source for a URL and preview it: qualitywatch source probe [--json] URL", cmdSource},
		{"classify", "classify text: qualitywatch classify [--json|--jsonl] [FILE...]", cmdClassify},
		{"eval", "measure the classifier on labelled JSON lines: qualitywatch eval FILE.jsonl", cmdEval},
		{"vocab", "print the vocabulary in force, or suggest terms: qualitywatch vocab [suggest ...]", cmdVocab},
		{"config", "check a config file: qualitywatch config validate --config FILE", cmdConfig},
		{"notify", "send a sample alert: qualitywatch notify test --config FILE NAME", cmdNotify},
		{"replay", "send dead letters again: qualitywatch replay --config FILE --notifier NAME", cmdReplay},
		{"backtest", "show the alerts a candidate vocabulary would add and remove on the stored items: qualitywatch backtest --config FILE --vocabulary FILE [--extend] [--since 30d] [--json]", cmdBacktest},
		{"version", "print the version", cmdVersion},
	}
}

// Main runs the command named by args (without the program name) and returns
// the process exit code.
func Main(ctx context.Context, args []string, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Logger == nil {
		env.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.Stderr, "qualitywatch %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(env.Stderr, "qualitywatch %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "qualitywatch: unknown command %q\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "qualitywatch watches news feeds for quality announcements and alerts the people who must know.")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("qualitywatch "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

// parseFlags parses args and wraps a bad flag as a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

func cmdVersion(_ context.Context, env *Env, _ []string) error {
	_, err := fmt.Fprintf(env.Stdout, "qualitywatch %s %s\n", version(), runtime.Version())
	return err
}

// version is Version, or the module version when built with go install.
func version() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
