package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// configPollEvery is how often --watch-config looks at the file.
const configPollEvery = time.Second

// reloadSignals sends on the returned channel for every SIGHUP and, with
// watch, every change of the config file's content. It stops with ctx.
func reloadSignals(ctx context.Context, path string, watch bool, logger *slog.Logger) <-chan struct{} {
	out := make(chan struct{}, 1)
	poke := func() {
		select {
		case out <- struct{}{}:
		default: // a reload is already pending: it will read the latest file
		}
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	last := fileSum(path) // the content the daemon starts with
	go func() {
		defer signal.Stop(hup)
		var tick <-chan time.Time
		if watch {
			t := time.NewTicker(configPollEvery)
			defer t.Stop()
			tick = t.C
		}
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				logger.Info("SIGHUP: reloading the config", "path", path)
				poke()
			case <-tick:
				if sum := fileSum(path); !bytes.Equal(sum[:], last[:]) {
					last = sum
					logger.Info("config file changed: reloading it", "path", path)
					poke()
				}
			}
		}
	}()
	return out
}

func fileSum(path string) [sha256.Size]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return [sha256.Size]byte{}
	}
	return sha256.Sum256(b)
}
