package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// cmdCheck polls sources once and prints each item with its verdict. It
// publishes nothing and remembers nothing.
func cmdCheck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "check")
	var path string
	var asJSON, matchedOnly, noDetail bool
	configFlag(fs, &path)
	fs.BoolVar(&asJSON, "json", false, "print one JSON item (with its verdict) per line")
	fs.BoolVar(&matchedOnly, "matched", false, "print only items that would alert")
	fs.BoolVar(&noDetail, "no-detail", false, "classify list entries without fetching their detail pages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	sources := cfg.Sources
	if want := fs.Args(); len(want) > 0 {
		sources = slices.DeleteFunc(slices.Clone(sources), func(s config.Source) bool { return !slices.Contains(want, s.Name) })
		if len(sources) != len(want) {
			return fmt.Errorf("%w: unknown source in %v", errUsage, want)
		}
	}
	cls, err := app.NewClassifier(cfg.Classifier)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(cfg.Watch.Timezone)
	if err != nil {
		return fmt.Errorf("watch.timezone: %w", err)
	}
	feeds := app.FeedFetcher(cfg, cfg.Watch.UserAgent)
	limiter := app.HostLimiter(cfg)
	var failed int
	for _, s := range sources {
		r := &watcher.Reader{Source: app.WatcherSource(s), Fetcher: app.SourceFetcher(s, feeds, limiter), Location: loc, Logger: env.log().With("source", s.Name)}
		items, snap, err := checkSource(ctx, r, cls, !noDetail)
		if err != nil && len(items) == 0 {
			failed++
			fmt.Fprintf(env.Stdout, "== %s: %v\n", s.Name, err)
			continue
		}
		if !asJSON {
			fmt.Fprintf(env.Stdout, "== %s: %d items%s\n", s.Name, len(items), pagesNote(snap))
		}
		for _, it := range items {
			if matchedOnly && !it.Verdict.Match {
				continue
			}
			if err := printItem(env.Stdout, it, asJSON); err != nil {
				return err
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(env.Stdout, "== %s: %v\n", s.Name, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d sources failed", failed, len(sources))
	}
	return nil
}

// pagesNote says how many list pages were read and how paging was found.
func pagesNote(snap watcher.Snapshot) string {
	if snap.Pages == 0 {
		return ""
	}
	note := fmt.Sprintf(" from %d list page", snap.Pages)
	if snap.Pages > 1 {
		note += "s"
	}
	if snap.Paging != "" {
		note += " (paging: " + snap.Paging + ")"
	}
	return note
}

// checkSource reads a source once, as a poll would, and classifies every
// entry: list entries with their detail pages unless detail is false. An
// error with items is a problem met part-way (a later page, a detail page,
// a date selector that reads nothing).
func checkSource(ctx context.Context, r *watcher.Reader, cls watcher.Classifier, detail bool) ([]alert.Item, watcher.Snapshot, error) {
	now := time.Now()
	snap, err := r.Read(ctx, watcher.Validators{}, now)
	if err != nil {
		return nil, snap, err
	}
	items := make([]alert.Item, 0, len(snap.Feed.Entries))
	problems := []error{snap.Problem}
	for _, e := range snap.Feed.Entries {
		if detail {
			var derr error
			if e, derr = r.Detail(ctx, e, now); derr != nil {
				problems = append(problems, fmt.Errorf("%s: %w", e.Link, derr))
			}
		}
		items = append(items, watcher.BuildItem(r.Source.Name, e, watcher.ItemID(r.Source.Name, e), now, cls))
	}
	return items, snap, errors.Join(problems...)
}

func printItem(w io.Writer, it alert.Item, asJSON bool) error {
	if asJSON {
		it.Text = ""
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	mark := "  "
	if it.Verdict.Match {
		mark = "✔ "
	}
	var terms []string
	for _, t := range it.Verdict.Terms {
		terms = append(terms, fmt.Sprintf("%s×%d", t.Term, t.Count))
	}
	_, err := fmt.Fprintf(w, "%s%.2f %s\n     %s\n     categories=%s regions=%s terms=%s\n",
		mark, it.Verdict.Score, it.Title, it.Link,
		strings.Join(it.Verdict.Categories, ","), strings.Join(it.Verdict.Regions, ","), strings.Join(terms, " "))
	return err
}
