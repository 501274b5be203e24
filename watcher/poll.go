package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Classifier judges an item; the watcher attaches the verdict to every item
// it publishes.
type Classifier interface {
	Classify(title, text string) alert.Verdict
}

// Metrics is what a poll reports.
type Metrics interface {
	Polled(source, result string, at time.Time)
	ItemSeen(source string)
	ItemPublished(source string)
}

// Source is one feed as the watcher needs it.
type Source struct {
	Name     string
	URL      string
	Timeout  time.Duration
	Baseline bool // record what the feed holds at first sight without publishing
}

// Result says what one poll did.
type Result struct {
	NotModified bool
	Skipped     string // why the poll did not fetch ("" when it did)
	Entries     int    // entries in the feed
	New         int    // entries not seen before
	Published   int    // items published
	Baseline    int    // items recorded without publishing (first sight)
}

// Poller polls one source: fetch, decode, parse, skip what was seen, publish
// what is new, then remember it.
type Poller struct {
	Source     Source
	Fetcher    *Fetcher
	Store      *Store
	Publisher  *Publisher
	Classifier Classifier
	Metrics    Metrics
	Logger     *slog.Logger
	Now        func() time.Time
	// Location is the zone of feed dates that name none (nil: UTC+8).
	Location *time.Location
}

// maxTextRunes bounds the text attached to an item and classified.
const maxTextRunes = 20000

// Poll runs one poll. Items are marked seen only after their publish was
// acknowledged, and the feed's validators are saved only when every new
// item was handled, so a failure part-way loses nothing: the next poll
// fetches the whole feed again and publishes what is still missing.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	now := p.now()
	name := p.Source.Name
	st, err := p.Store.State(ctx, name)
	if err != nil {
		return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	if now.Before(st.NotBefore) {
		p.Metrics.Polled(name, "skipped", now)
		return Result{Skipped: "site asked to retry after " + st.NotBefore.Format(time.RFC3339)}, nil
	}
	if p.Source.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Source.Timeout)
		defer cancel()
	}
	resp, err := p.Fetcher.Fetch(ctx, p.Source.URL, st.Validators)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.RetryAfter > 0 {
			st.NotBefore = now.Add(he.RetryAfter)
			if serr := p.Store.SaveState(ctx, name, st); serr != nil {
				err = errors.Join(err, serr)
			}
		}
		return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	if resp.NotModified {
		// Record the validators the 304 sent, and when the source was fine.
		st.Validators, st.NotBefore, st.LastOK = resp.Validators, time.Time{}, now
		if err := p.Store.SaveState(ctx, name, st); err != nil {
			return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
		}
		p.Metrics.Polled(name, "not_modified", now)
		return Result{NotModified: true}, nil
	}
	loc := p.Location
	if loc == nil {
		loc = chinaStandardTime()
	}
	feed, err := ParseIn(resp.Body, resp.ContentType, loc)
	if err != nil {
		return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	res, err := p.handle(ctx, feed, !st.Baselined && p.Source.Baseline, now)
	if err != nil {
		return res, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	st.Validators, st.Baselined, st.NotBefore, st.LastOK = resp.Validators, true, time.Time{}, now
	if err := p.Store.SaveState(ctx, name, st); err != nil {
		return res, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	p.Metrics.Polled(name, "ok", now)
	return res, nil
}

// handle publishes (or, at first sight, only records) each unseen entry,
// oldest first so that consumers see a source's items in order.
func (p *Poller) handle(ctx context.Context, feed Feed, baseline bool, now time.Time) (Result, error) {
	res := Result{Entries: len(feed.Entries)}
	entries := oldestFirst(feed.Entries)
	for _, e := range entries {
		id := ItemID(p.Source.Name, e)
		seen, err := p.Store.Seen(ctx, p.Source.Name, id)
		if err != nil {
			return res, err
		}
		if seen {
			continue
		}
		res.New++
		if !baseline {
			it := BuildItem(p.Source.Name, e, id, now, p.Classifier)
			if err := p.Publisher.PublishItem(ctx, it); err != nil {
				return res, err
			}
			res.Published++
			p.Metrics.ItemPublished(p.Source.Name)
			p.Logger.Info("new item", "id", id, "title", it.Title, "match", it.Verdict.Match, "score", it.Verdict.Score)
		} else {
			res.Baseline++
		}
		if err := p.Store.MarkSeen(ctx, p.Source.Name, id); err != nil {
			return res, err
		}
		p.Metrics.ItemSeen(p.Source.Name)
	}
	if baseline {
		p.Logger.Info("baseline recorded: items present at first sight will not alert", "items", res.Baseline)
	}
	return res, nil
}

// oldestFirst orders entries by publication date when every entry has one,
// else reverses the feed's order (feeds list newest first).
func oldestFirst(in []Entry) []Entry {
	entries := slices.Clone(in)
	dated := !slices.ContainsFunc(entries, func(e Entry) bool { return e.Published.IsZero() })
	if !dated {
		slices.Reverse(entries)
		return entries
	}
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.Published.Compare(b.Published) })
	return entries
}

// BuildItem turns a feed entry into the item published on the items stream,
// classified by c.
func BuildItem(source string, e Entry, id string, now time.Time, c Classifier) alert.Item {
	text := PlainText(e.Content)
	if text == "" {
		text = PlainText(e.Summary)
	}
	text = truncateRunes(text, maxTextRunes)
	title := strings.TrimSpace(PlainText(e.Title))
	it := alert.Item{
		Schema:  alert.ItemSchema,
		ID:      id,
		Source:  source,
		Title:   title,
		Link:    strings.TrimSpace(e.Link),
		Fetched: now.UTC().Format(time.RFC3339),
		Summary: Summary(e, 280),
		Text:    text,
	}
	if !e.Published.IsZero() {
		it.Published = e.Published.UTC().Format(time.RFC3339)
	}
	it.Verdict = c.Classify(title, text)
	return it
}

// ItemID is the item's stable identity as published. An identity that is
// only meaningful inside one feed (a bare guid such as "1234") is qualified
// with the source name; a URL or a link is global, so the same article in
// two feeds is one item.
func ItemID(source string, e Entry) string {
	id := Identity(e)
	if g, ok := strings.CutPrefix(id, "guid:"); ok && !strings.Contains(g, "://") {
		return source + "/" + id
	}
	return id
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func (p *Poller) fail(now time.Time, err error) error {
	p.Metrics.Polled(p.Source.Name, "error", now)
	return err
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
