package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// backtestChange is one item whose verdict the candidate vocabulary
// changes: for an added alert, the terms that now decide; for a removed
// one, the terms that decided before.
type backtestChange struct {
	ID     string       `json:"id"`
	Title  string       `json:"title"`
	Source string       `json:"source"`
	Terms  []alert.Term `json:"terms"`
}

// backtestResult is what backtest --json prints.
type backtestResult struct {
	Items   int              `json:"items"`
	Added   []backtestChange `json:"added"`
	Removed []backtestChange `json:"removed"`
}

// cmdBacktest replays the items the daemon stored on the items stream
// through a candidate vocabulary and shows the alerts it would add and
// remove, compared with the verdict stored on each item. It needs the NATS
// the daemon uses: with the embedded server, stop the daemon first (the
// store directory belongs to one process), or set nats.listen and nats.url.
//
//	qualitywatch backtest --config FILE --vocabulary FILE [--extend] [--since 30d] [--json]
func cmdBacktest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "backtest")
	var path, vocab, since string
	var extend, asJSON bool
	configFlag(fs, &path)
	fs.StringVar(&vocab, "vocabulary", "", "candidate vocabulary `FILE`")
	fs.BoolVar(&extend, "extend", false, "extend the embedded vocabulary with --vocabulary instead of replacing it")
	fs.StringVar(&since, "since", "", "replay only the items stored in the last `DURATION` (30d, 12h); default: all")
	fs.BoolVar(&asJSON, "json", false, `print one JSON object {"items","added","removed"}`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if vocab == "" {
		return fmt.Errorf("%w: --vocabulary FILE is required", errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var start time.Time
	if since != "" {
		d, err := parseSince(since)
		if err != nil {
			return fmt.Errorf("%w: --since: %v", errUsage, err)
		}
		start = time.Now().Add(-d)
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	cand, err := app.NewClassifier(config.Classifier{Vocabulary: vocab, Extend: extend, MinScore: cfg.Classifier.MinScore})
	if err != nil {
		return err
	}
	conn, err := app.ConnectNATS(ctx, cfg, env.log())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	res, err := backtest(ctx, conn.JS, cand, start, env.log())
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(env.Stdout).Encode(res)
	}
	return printBacktest(env.Stdout, res, since)
}

// backtest reads the items stream with an ordered consumer from start
// (zero: from the first item) to its last message as it is now, classifies
// each item with cand and compares with the verdict stored on it. An item
// stored twice counts once; a message that is not an item is logged and
// skipped. It stops with ctx.
func backtest(ctx context.Context, js jetstream.JetStream, cand *app.Classifier, start time.Time, logger *slog.Logger) (backtestResult, error) {
	res := backtestResult{Added: []backtestChange{}, Removed: []backtestChange{}}
	stream, err := js.Stream(ctx, bus.ItemsStream)
	if err != nil {
		return res, fmt.Errorf("items stream: %w", err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return res, fmt.Errorf("items stream: %w", err)
	}
	if info.State.Msgs == 0 || !start.IsZero() && info.State.LastTime.Before(start) {
		return res, nil
	}
	last := info.State.LastSeq
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{bus.ItemsPrefix + ".>"}}
	if !start.IsZero() {
		cc.DeliverPolicy, cc.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := js.OrderedConsumer(ctx, bus.ItemsStream, cc)
	if err != nil {
		return res, fmt.Errorf("items stream: %w", err)
	}
	iter, err := cons.Messages()
	if err != nil {
		return res, fmt.Errorf("items stream: %w", err)
	}
	defer iter.Stop()
	seen := map[string]bool{}
	for {
		m, err := iter.Next(jetstream.NextContext(ctx))
		if err != nil {
			return res, fmt.Errorf("items stream: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return res, fmt.Errorf("items stream: %w", err)
		}
		if it, err := alert.DecodeItem(m.Data()); err != nil {
			logger.Warn("backtest: item skipped", "seq", meta.Sequence.Stream, "err", err)
		} else if !seen[it.ID] {
			seen[it.ID] = true
			res.Items++
			res.compare(it, cand.Classify(it.Title, it.Text))
		}
		if meta.Sequence.Stream >= last {
			return res, nil
		}
	}
}

// compare records an item whose stored verdict v changes.
func (res *backtestResult) compare(it alert.Item, v alert.Verdict) {
	switch {
	case v.Match && !it.Verdict.Match:
		res.Added = append(res.Added, backtestChange{ID: it.ID, Title: it.Title, Source: it.Source, Terms: nonNilTerms(v.Terms)})
	case !v.Match && it.Verdict.Match:
		res.Removed = append(res.Removed, backtestChange{ID: it.ID, Title: it.Title, Source: it.Source, Terms: nonNilTerms(it.Verdict.Terms)})
	}
}

func nonNilTerms(ts []alert.Term) []alert.Term {
	if ts == nil {
		return []alert.Term{}
	}
	return ts
}

// printBacktest writes the human summary: the items replayed, then each
// alert added (+) and removed (-) with its source, title, id and terms.
func printBacktest(w io.Writer, res backtestResult, since string) error {
	bw := bufio.NewWriter(w)
	scope := "all stored items"
	if since != "" {
		scope = "items stored in the last " + since
	}
	fmt.Fprintf(bw, "replayed %d items (%s)\n", res.Items, scope)
	for _, part := range []struct {
		mark, name string
		list       []backtestChange
	}{{"+", "added", res.Added}, {"-", "removed", res.Removed}} {
		fmt.Fprintf(bw, "\nalerts %s: %d\n", part.name, len(part.list))
		for _, c := range part.list {
			terms := make([]string, len(c.Terms))
			for i, t := range c.Terms {
				terms[i] = fmt.Sprintf("%s×%d", t.Term, t.Count)
			}
			fmt.Fprintf(bw, "  %s [%s] %s\n      id %s; terms: %s\n", part.mark, c.Source, c.Title, c.ID, strings.Join(terms, ", "))
		}
	}
	return bw.Flush()
}

// parseSince reads a look-back duration: a Go duration (12h, 90m) or a
// number of days (30d).
func parseSince(s string) (time.Duration, error) {
	d, err := config.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive number of days like 30d, or a duration like 12h", s)
	}
	return d, nil
}
