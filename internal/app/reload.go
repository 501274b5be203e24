package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
)

// runningNotifier is a notifier's delivery while the daemon runs.
type runningNotifier struct {
	n      Notifier
	cfg    config.Notifier
	cancel context.CancelFunc
	done   chan struct{}
}

// startNotifier makes sure the notifier's durable consumers exist (one for
// alerts, one for health events, as its events say), then runs its
// delivery under its own context, so that a reload can stop it alone.
func (d *daemon) startNotifier(ctx context.Context, n Notifier, nc config.Notifier) error {
	var runners []*delivery.Runner
	for _, kind := range []string{config.EventAlerts, config.EventHealth, config.EventReposts} {
		if !nc.Wants(kind) {
			continue
		}
		o := n.Options
		o.Health, o.Reposts = kind == config.EventHealth, kind == config.EventReposts
		r, err := delivery.New(d.conn.JS, n.Channel, o, d.a.logger, d.a.metrics)
		if err == nil {
			err = r.EnsureConsumer(ctx)
		}
		if err != nil {
			return fmt.Errorf("notifier %s: %w", n.Name, err)
		}
		runners = append(runners, r)
	}
	rctx, cancel := context.WithCancel(d.consumeCtx)
	rn := &runningNotifier{n: n, cfg: nc, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Go(func() {
			if err := r.Run(rctx); err != nil && rctx.Err() == nil {
				d.a.logger.Error("component stopped", "component", "notifier "+n.Name, "err", err)
				select {
				case d.errc <- fmt.Errorf("notifier %s: %w", n.Name, err):
				default:
				}
			}
		})
	}
	d.wg.Go(func() {
		defer close(rn.done)
		wg.Wait()
	})
	d.mu.Lock()
	d.notifiers[n.Name] = rn
	d.mu.Unlock()
	return nil
}

// stopNotifier stops a notifier's delivery and waits for the message in
// hand. Its durable consumer stays: alerts published meanwhile wait there.
func (d *daemon) stopNotifier(name string) {
	d.mu.Lock()
	rn := d.notifiers[name]
	delete(d.notifiers, name)
	d.mu.Unlock()
	if rn == nil {
		return
	}
	rn.cancel()
	<-rn.done
}

// Reload applies a new configuration to the running daemon without a
// restart: sources and notifiers added, removed or changed. A new source
// takes its baseline (nothing it holds now alerts); a source that stays
// keeps its memory, so nothing alerts again. A removed notifier's durable
// consumer is left in place (alerts keep for it until the stream's
// retention; `nats consumer rm QUALITYWATCH_ALERTS notify-<name>` removes
// it). The NATS and HTTP settings, and the classifier, need a restart: a
// change to them is reported and ignored.
//
// A config that cannot be built is refused with every error, and the
// running one stays.
func (a *App) Reload(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	d := a.running.Load()
	if d == nil {
		return errors.New("reload: the daemon is not running")
	}
	if err := checkCategories(cfg, a.categories); err != nil {
		return fmt.Errorf("reload refused: %w", err)
	}
	built, err := buildNotifiers(cfg, stdout, a.vocab)
	if err != nil {
		return fmt.Errorf("reload refused: %w", err)
	}
	d.mu.Lock()
	old := d.cfg
	d.mu.Unlock()
	for _, part := range []struct {
		name     string
		old, new any
	}{{"nats", old.NATS, cfg.NATS}, {"http", old.HTTP, cfg.HTTP}, {"classifier", old.Classifier, cfg.Classifier}, {"watch", old.Watch, cfg.Watch}} {
		if !sameYAML(part.old, part.new) {
			a.logger.Warn("reload: a change to " + part.name + " needs a restart; it is ignored until then")
		}
	}

	// Notifiers: stop the removed and changed, start the added and changed.
	keep := map[string]bool{}
	var started []string
	for _, n := range built {
		nc := cfg.Notifiers[n.index]
		d.mu.Lock()
		cur := d.notifiers[n.Name]
		d.mu.Unlock()
		if cur != nil && sameYAML(cur.cfg, nc) {
			keep[n.Name] = true
			continue
		}
		if cur != nil {
			d.stopNotifier(n.Name)
		}
		if err := d.startNotifier(ctx, n, nc); err != nil {
			return fmt.Errorf("reload: %w", err)
		}
		keep[n.Name] = true
		started = append(started, n.Name)
	}
	d.mu.Lock()
	var removed []string
	for name := range d.notifiers {
		if !keep[name] {
			removed = append(removed, name)
		}
	}
	d.mu.Unlock()
	for _, name := range removed {
		d.stopNotifier(name)
	}
	a.mu.Lock()
	a.notifiers = built
	a.mu.Unlock()

	// Sources: the same, on the scheduler.
	oldSrc := map[string]config.Source{}
	for _, s := range old.Sources {
		oldSrc[s.Name] = s
	}
	changed := map[string]bool{}
	var gone []string
	for _, s := range cfg.Sources {
		if o, ok := oldSrc[s.Name]; !ok || !sameYAML(o, s) {
			changed[s.Name] = true
			if ok {
				gone = append(gone, s.Name)
			}
		}
		delete(oldSrc, s.Name)
	}
	removedSources := len(oldSrc)
	for name := range oldSrc {
		gone = append(gone, name)
		a.metrics.ForgetSource(name)
	}
	for _, name := range gone {
		d.sched.Remove(name)
	}
	jobs, err := d.parts.jobs(ctx, a, cfg.Sources, changed)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	d.sched.Add(d.pollCtx, jobs)
	d.mu.Lock()
	d.cfg = cfg
	d.mu.Unlock()
	a.logger.Info("config reloaded", "sources", len(cfg.Sources), "sources_added_or_changed", len(changed), "sources_removed", removedSources,
		"notifiers", len(built), "notifiers_added_or_changed", len(started), "notifiers_removed", len(removed))
	return nil
}

// sameYAML compares two config values as they would be written.
func sameYAML(a, b any) bool {
	x, err1 := yaml.Marshal(a)
	y, err2 := yaml.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
