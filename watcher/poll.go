package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/listpage"
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
	// SourceHealth reports a source's state and failed polls in a row.
	SourceHealth(source, state string, failures int)
}

// Source is one feed or list page as the watcher needs it.
type Source struct {
	Name     string
	URL      string
	Timeout  time.Duration
	Baseline bool        // record what the feed holds at first sight without publishing
	List     *ListSource // nil for a feed
	Charset  string      // overrides the declared charset; "" trusts the page
	// Interval is the time between two scheduled polls: the unit of the
	// failure backoff and of staleness (0: neither).
	Interval time.Duration
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
	// Health: failures in a row before a source is failing (0: 3), where
	// changes of state go, and who else wants to know of each poll.
	FailThreshold int
	Events        HealthPublisher
	Observer      Observer
	// Started is when the daemon started: a source that never succeeded
	// is stale 3 intervals after it.
	Started time.Time
}

// Poll runs one poll. Items are marked seen only after their publish was
// acknowledged, and the feed's validators are saved only when every new
// item was handled, so a failure part-way loses nothing: the next poll
// fetches the whole feed again and publishes what is still missing.
//
// Every poll also keeps the source's health (see health.go): a failure
// counts towards failing, layout or blocked and defers the next poll with
// exponential backoff; a success ends both. A poll cancelled because the
// daemon stops is neither: it returns an error wrapping context.Canceled and
// changes nothing.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	now := p.now()
	name := p.Source.Name
	st, err := p.Store.State(ctx, name)
	if err != nil {
		// The store failed, not the source: its health is unchanged.
		return Result{}, p.fail(now, fmt.Errorf("source %s: %w", name, err))
	}
	if now.Before(st.NotBefore) {
		p.Metrics.Polled(name, "skipped", now)
		p.staleCheck(ctx, &st, now)
		p.observe(now, "skipped", nil, st, Result{})
		return Result{Skipped: st.waitReason()}, nil
	}
	before, lastOK := st.fingerprint(), st.LastOK
	res, err := p.poll(ctx, &st, now)
	if err != nil && ctx.Err() != nil {
		return res, fmt.Errorf("source %s: poll stopped: %w", name, context.Cause(ctx))
	}
	ev := p.track(&st, now, err)
	p.Metrics.SourceHealth(name, st.Health, st.Failures)
	// A 304 that changes nothing but the time of the last success is not
	// worth a write every poll: that time is kept to within an interval.
	quiet := err == nil && res.NotModified && p.Source.Interval > 0 && st.fingerprint() == before &&
		now.Sub(lastOK) < p.Source.Interval
	if !quiet {
		if serr := p.Store.SaveState(ctx, name, st); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	p.announce(ctx, ev, st)
	result := "ok"
	switch {
	case err != nil:
		result = "error"
		p.fail(now, err)
		err = fmt.Errorf("source %s: %w", name, err)
	case res.NotModified:
		result = "not_modified"
		p.Metrics.Polled(name, result, now)
	default:
		p.Metrics.Polled(name, result, now)
	}
	p.observe(now, result, err, st, res)
	return res, err
}

// poll fetches, reads and handles the source, updating st.
func (p *Poller) poll(ctx context.Context, st *SourceState, now time.Time) (Result, error) {
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
			st.NotBefore, st.RetryAfter = now.Add(he.RetryAfter), true
		}
		return Result{}, err
	}
	st.RetryAfter = false
	if snap.Response.NotModified {
		// Record the validators the 304 sent, and when the source was fine.
		st.Validators, st.NotBefore, st.LastOK = snap.Response.Validators, time.Time{}, now
		return Result{NotModified: true}, nil
	}
	if p.Source.List == nil && len(snap.Feed.Entries) == 0 && st.Entries > 0 {
		return Result{}, &listpage.LayoutError{Key: "feed", Selector: "item", URL: redactURL(p.Source.URL),
			Problem: fmt.Sprintf("holds no entries (it held %d)", st.Entries)}
	}
	baseline := !st.Baselined && p.Source.Baseline
	res, err := p.handle(ctx, r, snap.Feed, st, baseline, now)
	res.Pages = snap.Pages
	if err == nil && !snap.Incomplete {
		// Every page was read and its entries recorded: the first sight is
		// taken (a baseline cut short by a failed page is taken again).
		st.Baselined = true
	}
	if err == nil {
		err = snap.Problem
	}
	if len(snap.Feed.Entries) > 0 {
		st.Entries = len(snap.Feed.Entries)
	}
	if err != nil {
		return res, err
	}
	st.NotBefore, st.LastOK = time.Time{}, now
	if res.Deferred == 0 {
		// Every new entry was handled: the next poll may be conditional.
		st.Validators = snap.Response.Validators
	}
	return res, nil
}

func (p *Poller) reader() *Reader {
	return &Reader{Source: p.Source, Fetcher: p.Fetcher, Location: p.Location, Logger: p.Logger}
}

// fresh is a new entry of this poll.
type fresh struct {
	id     string
	e      Entry
	hashes []uint64 // of its identity keys
	err    error    // its detail page's, if that failed
}

// handle publishes (or, at first sight, only records) each unseen entry,
// oldest first so that consumers see a source's items in order. A list
// source's new entries are first completed from their own pages (never at
// first sight); an entry whose page fails waits for the next poll, up to
// maxDetailAttempts polls, then goes out with what the list gave.
func (p *Poller) handle(ctx context.Context, r *Reader, feed Feed, st *SourceState, baseline bool, now time.Time) (res Result, err error) {
	res = Result{Entries: len(feed.Entries)}
	// Read at each poll that brings a changed body, not kept between polls:
	// thousands of sources' identities stay in the store, not in memory.
	listed, err := p.Store.Listed(ctx, p.Source.Name)
	if err != nil {
		return res, err
	}
	// Whatever happens below, what was published (or recorded) is saved.
	defer func() {
		if serr := p.Store.SaveListed(context.WithoutCancel(ctx), p.Source.Name, listed, now, len(feed.Entries)); serr != nil {
			err = errors.Join(err, serr)
		}
	}()
	migrate := listed.Empty() && st.Baselined // first poll since the per-item seen-store
	canonical := map[string]string{}
	canon := func(link string) string {
		c, ok := canonical[link]
		if !ok {
			c = CanonicalLink(link)
			canonical[link] = c
		}
		return c
	}
	links := map[string]int{}
	for _, e := range feed.Entries {
		if e.Link != "" {
			links[canon(e.Link)]++
		}
	}
	var news []fresh
	var updates []fresh // alerted entries corrected since
	ids := map[string]bool{}
	for _, e := range oldestFirst(feed.Entries) {
		id := ItemID(p.Source.Name, e)
		if ids[id] {
			continue // the same entry twice in one feed (or on two pages)
		}
		ids[id] = true
		keys := keysOf(p.Source.Name, e, e.Link != "" && links[canon(e.Link)] > 1, canon)
		hashes := make([]uint64, len(keys))
		for i, k := range keys {
			hashes[i] = KeyHash(k)
		}
		seen := listed.Has(hashes)
		if !seen && migrate {
			if seen, err = p.Store.Seen(ctx, p.Source.Name, id); err != nil {
				return res, err
			}
		}
		if seen {
			listed.Touch(hashes, now)
			if u, ok := p.update(listed, e, hashes); ok {
				updates = append(updates, u)
			}
			continue
		}
		news = append(news, fresh{id: id, e: e, hashes: hashes})
	}
	res.New = len(news)
	if !baseline {
		p.fetchDetails(ctx, r, news, now)
	}
	failures := st.DetailFailures
	st.DetailFailures = nil
	var out []alert.Item
	var outHashes [][]uint64
	for _, f := range news {
		switch {
		case baseline:
			res.Baseline++
			listed.Touch(f.hashes, now) // recorded, not published
			p.Metrics.ItemSeen(p.Source.Name)
			continue
		case f.err != nil && ctx.Err() != nil:
			return res, fmt.Errorf("detail page of %s: %w", f.id, ctx.Err())
		case f.err != nil && failures[f.id]+1 < maxDetailAttempts && !isRefused(f.err):
			st.setDetailFailure(f.id, failures[f.id]+1)
			res.Deferred++
			p.Logger.Warn("detail page failed; the entry waits for the next poll", "id", f.id, "attempt", failures[f.id]+1, "err", f.err)
			continue
		case f.err != nil:
			p.Logger.Warn("no detail page; publishing the entry with what the list gave", "id", f.id, "attempts", failures[f.id]+1, "err", f.err)
		}
		out = append(out, BuildItem(p.Source.Name, f.e, f.id, now, p.Classifier))
		outHashes = append(outHashes, f.hashes)
	}
	for _, u := range updates {
		it := BuildItem(p.Source.Name, u.e, u.id+"#update", now, p.Classifier) // u.id: the alerted item's
		it.UpdateOf = u.id
		out = append(out, it)
		outHashes = append(outHashes, u.hashes)
	}
	// Published in order, without waiting for each acknowledgement; an item
	// is seen only once its publish was acknowledged.
	done, err := p.Publisher.PublishItems(ctx, out)
	for i, it := range out[:done] {
		listed.Touch(outHashes[i], now)
		if it.Verdict.Match {
			c := p.contentOf(it)
			c.Updated = it.UpdateOf != ""
			if c.Updated {
				c.ID = it.UpdateOf
			}
			listed.SetContent(outHashes[i][0], c)
		}
		res.Published++
		p.Metrics.ItemPublished(p.Source.Name)
		p.Metrics.ItemSeen(p.Source.Name)
		// Every item at debug level; at info, the ones that match (a busy
		// province publishes thousands of items a day, a few of which alert).
		level := slog.LevelDebug
		if it.Verdict.Match {
			level = slog.LevelInfo
		}
		p.Logger.Log(ctx, level, "new item", "id", it.ID, "title", it.Title, "match", it.Verdict.Match, "score", it.Verdict.Score)
	}
	if err != nil {
		return res, err
	}
	if baseline {
		p.Logger.Info("baseline recorded: items present at first sight will not alert", "items", res.Baseline)
	}
	if migrate {
		p.Logger.Info("seen items moved to the per-source store", "identities", listed.Len())
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

func (p *Poller) fail(now time.Time, err error) error {
	p.Metrics.Polled(p.Source.Name, "error", now)
	return err
}

func (p *Poller) observe(now time.Time, result string, err error, st SourceState, res Result) {
	if p.Observer == nil {
		return
	}
	o := Observation{At: now, Result: result, State: st.Health, Since: st.Since, Failures: st.Failures,
		LastOK: st.LastOK, NotBefore: st.NotBefore, Entries: st.Entries, New: res.Published}
	if err != nil {
		o.Err = err.Error()
	}
	p.Observer.Observed(p.Source.Name, o)
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}
