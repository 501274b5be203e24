package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
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

// Source is one feed or list page as the watcher needs it.
type Source struct {
	Name     string
	URL      string
	Timeout  time.Duration
	Baseline bool        // record what the feed holds at first sight without publishing
	List     *ListSource // nil for a feed
	Charset  string      // overrides the declared charset; "" trusts the page
}

// Result says what one poll did.
type Result struct {
	NotModified bool
	Skipped     string // why the poll did not fetch ("" when it did)
	Entries     int    // entries in the feed
	New         int    // entries not seen before
	Published   int    // items published
	Baseline    int    // items recorded without publishing (first sight)
	Deferred    int    // new entries left for the next poll: their detail page failed
	Pages       int    // list pages read
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
	// A feed is one request, bounded by the source's timeout; a list
	// source's every request is (see Fetcher), so its poll is bounded by
	// its pages and new entries.
	if p.Source.Timeout > 0 && p.Source.List == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Source.Timeout)
		defer cancel()
	}
	r := p.reader()
	snap, err := r.Read(ctx, st.Validators, now)
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
	if snap.Response.NotModified {
		// Record the validators the 304 sent, and when the source was fine.
		st.Validators, st.NotBefore, st.LastOK = snap.Response.Validators, time.Time{}, now
		if err := p.Store.SaveState(ctx, name, st); err != nil {
			return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
		}
		p.Metrics.Polled(name, "not_modified", now)
		return Result{NotModified: true}, nil
	}
	baseline := !st.Baselined && p.Source.Baseline
	res, err := p.handle(ctx, r, snap.Feed, &st, baseline, now)
	res.Pages = snap.Pages
	if err == nil && !snap.Incomplete {
		// Every page was read and its entries recorded: the first sight is
		// taken (a baseline cut short by a failed page is taken again).
		st.Baselined = true
	}
	if err == nil {
		err = snap.Problem
	}
	if err == nil && res.Deferred == 0 {
		// Every new entry was handled: the next poll may be conditional.
		st.Validators, st.NotBefore, st.LastOK = snap.Response.Validators, time.Time{}, now
	}
	if serr := p.Store.SaveState(ctx, name, st); serr != nil {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return res, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	p.Metrics.Polled(name, "ok", now)
	return res, nil
}

func (p *Poller) reader() *Reader {
	return &Reader{Source: p.Source, Fetcher: p.Fetcher, Location: p.Location, Logger: p.Logger}
}

// maxDetailAttempts is how many polls try an entry's detail page before
// the entry is published with what the list gave.
const maxDetailAttempts = 3

// detailWorkers bounds the detail pages fetched at once by one poll (the
// per-host limit applies on top).
const detailWorkers = 4

// fresh is a new entry of this poll.
type fresh struct {
	id  string
	e   Entry
	err error // its detail page's, if that failed
}

// handle publishes (or, at first sight, only records) each unseen entry,
// oldest first so that consumers see a source's items in order. A list
// source's new entries are first completed from their own pages (never at
// first sight); an entry whose page fails waits for the next poll, up to
// maxDetailAttempts polls, then goes out with what the list gave.
func (p *Poller) handle(ctx context.Context, r *Reader, feed Feed, st *SourceState, baseline bool, now time.Time) (Result, error) {
	res := Result{Entries: len(feed.Entries)}
	var news []fresh
	ids := map[string]bool{}
	for _, e := range oldestFirst(feed.Entries) {
		id := ItemID(p.Source.Name, e)
		if ids[id] {
			continue // the same entry twice in one feed (or on two pages)
		}
		ids[id] = true
		seen, err := p.Store.Seen(ctx, p.Source.Name, id)
		if err != nil {
			return res, err
		}
		if !seen {
			news = append(news, fresh{id: id, e: e})
		}
	}
	res.New = len(news)
	if !baseline {
		p.fetchDetails(ctx, r, news, now)
	}
	failures := st.DetailFailures
	st.DetailFailures = nil
	for _, f := range news {
		switch {
		case baseline:
			res.Baseline++
		case f.err != nil && ctx.Err() != nil:
			return res, fmt.Errorf("detail page of %s: %w", f.id, ctx.Err())
		case f.err != nil && failures[f.id]+1 < maxDetailAttempts && !isRefused(f.err):
			st.setDetailFailure(f.id, failures[f.id]+1)
			res.Deferred++
			p.Logger.Warn("detail page failed; the entry waits for the next poll", "id", f.id, "attempt", failures[f.id]+1, "err", f.err)
			continue
		default:
			if f.err != nil {
				p.Logger.Warn("no detail page; publishing the entry with what the list gave", "id", f.id, "attempts", failures[f.id]+1, "err", f.err)
			}
			it := BuildItem(p.Source.Name, f.e, f.id, now, p.Classifier)
			if err := p.Publisher.PublishItem(ctx, it); err != nil {
				return res, err
			}
			res.Published++
			p.Metrics.ItemPublished(p.Source.Name)
			p.Logger.Info("new item", "id", f.id, "title", it.Title, "match", it.Verdict.Match, "score", it.Verdict.Score)
		}
		if err := p.Store.MarkSeen(ctx, p.Source.Name, f.id); err != nil {
			return res, err
		}
		p.Metrics.ItemSeen(p.Source.Name)
	}
	if baseline {
		p.Logger.Info("baseline recorded: items present at first sight will not alert", "items", res.Baseline)
	}
	return res, nil
}

// isRefused reports whether a detail page was refused by the guard: no
// later poll would fetch it either.
func isRefused(err error) bool {
	var re *RefusedError
	return errors.As(err, &re)
}

// fetchDetails completes each new entry from its own page, a few at a
// time; a failure is kept in the entry's err.
func (p *Poller) fetchDetails(ctx context.Context, r *Reader, news []fresh, now time.Time) {
	if p.Source.List == nil || p.Source.List.Detail == nil {
		return
	}
	sem := make(chan struct{}, detailWorkers)
	var wg sync.WaitGroup
	for i := range news {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				news[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			news[i].e, news[i].err = r.Detail(ctx, news[i].e, now)
		})
	}
	wg.Wait()
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
