package cli

import (
	"context"
	"encoding/json"
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
	var asJSON, matchedOnly bool
	configFlag(fs, &path)
	fs.BoolVar(&asJSON, "json", false, "print one JSON item (with its verdict) per line")
	fs.BoolVar(&matchedOnly, "matched", false, "print only items that would alert")
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
	f := &watcher.Fetcher{MaxBytes: cfg.Watch.MaxBytes, UserAgent: cfg.Watch.UserAgent, Timeout: cfg.MaxFetchTimeout()}
	var failed int
	for _, s := range sources {
		items, err := checkSource(ctx, f, s, cls, loc)
		if err != nil {
			failed++
			fmt.Fprintf(env.Stdout, "== %s: %v\n", s.Name, err)
			continue
		}
		if !asJSON {
			fmt.Fprintf(env.Stdout, "== %s: %d items\n", s.Name, len(items))
		}
		for _, it := range items {
			if matchedOnly && !it.Verdict.Match {
				continue
			}
			if err := printItem(env.Stdout, it, asJSON); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d sources failed", failed, len(sources))
	}
	return nil
}

func checkSource(ctx context.Context, f *watcher.Fetcher, s config.Source, cls watcher.Classifier, loc *time.Location) ([]alert.Item, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(s.Timeout))
	defer cancel()
	resp, err := f.Fetch(ctx, s.URL, watcher.Validators{})
	if err != nil {
		return nil, err
	}
	feed, err := watcher.ParseIn(resp.Body, resp.ContentType, loc)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	items := make([]alert.Item, 0, len(feed.Entries))
	for _, e := range feed.Entries {
		items = append(items, watcher.BuildItem(s.Name, e, watcher.ItemID(s.Name, e), now, cls))
	}
	return items, nil
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
