package cli

import (
	"context"
	"fmt"

	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
)

// cmdReplay sends a notifier's dead letters again. It needs the NATS the
// daemon uses: with the embedded server, stop the daemon first (the store
// directory belongs to one process), or set nats.listen and nats.url.
func cmdReplay(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "replay")
	var path, name string
	configFlag(fs, &path)
	fs.StringVar(&name, "notifier", "", "the notifier whose dead letters to send")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: --notifier NAME is required", errUsage)
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	n, err := findNotifier(cfg, name, env.Stdout)
	if err != nil {
		return err
	}
	conn, err := app.ConnectNATS(ctx, cfg, env.log())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sent, err := delivery.ReplayWith(ctx, conn.JS, n.Channel, n.Options, env.log())
	fmt.Fprintf(env.Stdout, "notifier %s: %d dead letters sent\n", name, sent)
	if err != nil {
		return fmt.Errorf("notifier %s: %w", name, err)
	}
	return nil
}
