package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// configFlag adds the --config flag every daemon-side command takes.
func configFlag(fs interface {
	StringVar(*string, string, string, string)
}, p *string) {
	fs.StringVar(p, "config", "", "config file (YAML)")
}

// loadConfig reads the config named by --config.
func loadConfig(env *Env, path string) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: --config FILE is required", errUsage)
	}
	return config.Load(path, env.Getenv)
}

func cmdRun(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "run")
	var path, level, format string
	var watchConfig bool
	configFlag(fs, &path)
	fs.BoolVar(&watchConfig, "watch-config", false, "reload the config when its file changes (as on SIGHUP)")
	fs.StringVar(&level, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&format, "log-format", "text", "log format: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger, err := newLogger(env.Stderr, level, format)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	a, err := app.Build(cfg, logger, env.Stdout, version())
	if err != nil {
		return err
	}
	reloads := reloadSignals(ctx, path, watchConfig, logger)
	go func() {
		for range reloads {
			reload(ctx, env, a, path, logger)
		}
	}()
	return a.Run(ctx)
}

// reload reads the config file again and applies it; a config with errors
// is refused with every error logged, and the running one stays.
func reload(ctx context.Context, env *Env, a *app.App, path string, logger *slog.Logger) {
	cfg, err := config.Load(path, env.Getenv)
	if err == nil {
		err = a.Reload(ctx, cfg, env.Stdout)
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			logger.Error("config reload refused; the running config stays", "err", line)
		}
	}
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("%w: --log-format %q: want text or json", errUsage, format)
	}
}

func cmdConfig(_ context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "validate" {
		return fmt.Errorf("%w: qualitywatch config validate --config FILE", errUsage)
	}
	fs := newFlags(env, "config validate")
	var path string
	configFlag(fs, &path)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	// Building constructs every notifier and the classifier without touching
	// the network, which checks what the config file alone cannot.
	if _, err := app.Build(cfg, env.log(), io.Discard, version()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s: ok (%d sources, %d notifiers)\n", path, len(cfg.Sources), len(cfg.Notifiers))
	return err
}
