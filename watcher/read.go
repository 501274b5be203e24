package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/qualitywatch/qualitywatch/listpage"
)

// ListSource says how a list-page source (type html or json) is read.
type ListSource struct {
	Spec   *listpage.Spec
	Detail *listpage.DetailSpec // nil: entries are published with what the list gives
	Pages  int                  // list pages per poll; < 1 means 1
	// AllowEmpty accepts a first page without entries.
	AllowEmpty bool
}

// Snapshot is what one read of a source found.
type Snapshot struct {
	Response Response // the first page's fetch
	Feed     Feed
	Pages    int    // list pages read
	Paging   string // how further pages were found (listpage.Paging*), "" for feeds
	// Problem is an error found while reading that did not stop it: a
	// later page that failed, or a date selector that read no date. The
	// entries found are still handled; the poll then fails with it.
	Problem error
	// Incomplete is set when a page could not be read: entries may be
	// missing.
	Incomplete bool
}

// Reader fetches and parses one source: a feed, or every list page it is
// configured to read.
type Reader struct {
	Source   Source
	Fetcher  *Fetcher
	Location *time.Location // zone of dates that name none; nil: UTC+8
	Logger   *slog.Logger
}

func (r *Reader) loc() *time.Location {
	if r.Location == nil {
		return chinaStandardTime()
	}
	return r.Location
}

func (r *Reader) contentType(ct string) string {
	if r.Source.Charset != "" {
		return "text/plain; charset=" + r.Source.Charset
	}
	return ct
}

// Read fetches the source with a conditional GET built from prev. A 304
// gives a snapshot with Response.NotModified set and no entries.
func (r *Reader) Read(ctx context.Context, prev Validators, now time.Time) (Snapshot, error) {
	resp, err := r.Fetcher.Fetch(ctx, r.Source.URL, prev)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Response: resp}
	if resp.NotModified {
		return snap, nil
	}
	// The same bytes as the last body handled in full: nothing new, and
	// nothing to parse.
	sum := sha256.Sum256(resp.Body)
	snap.Response.Validators.BodyHash = hex.EncodeToString(sum[:16])
	if prev.BodyHash != "" && prev.BodyHash == snap.Response.Validators.BodyHash {
		snap.Response.NotModified, snap.Response.Body = true, nil
		return snap, nil
	}
	if r.Source.List == nil {
		snap.Feed, err = ParseIn(resp.Body, r.contentType(resp.ContentType), r.loc())
		return snap, err
	}
	return r.readList(ctx, snap, now)
}

// readList reads the first page, already fetched, then the following ones.
func (r *Reader) readList(ctx context.Context, snap Snapshot, now time.Time) (Snapshot, error) {
	ls := r.Source.List
	opts := listpage.Options{Location: r.loc(), Now: now}
	pager := ls.Spec.Pager(snap.Response.FinalURL)
	resp := snap.Response
	for page := 1; ; page++ {
		body, _, err := DecodeUTF8(resp.Body, r.contentType(resp.ContentType))
		if err != nil {
			return snap, fmt.Errorf("page %d: %w", page, err)
		}
		if IsChallenge(resp.Status, body) {
			err := &ChallengeError{URL: redactURL(resp.FinalURL)}
			if page == 1 {
				return snap, err
			}
			snap.Problem, snap.Incomplete = err, true
			break
		}
		got, err := ls.Spec.Extract(body, resp.FinalURL, opts)
		snap.Pages = page
		var le *listpage.LayoutError
		switch {
		case err == nil:
		case page > 1 && len(got.Entries) == 0:
			// Past the last page; not a layout change.
			return snap, nil
		case errors.As(err, &le) && le.Key == "select.date":
			snap.Problem = err
		case page == 1 && ls.AllowEmpty && got.Matched == 0:
			return snap, nil
		default:
			return snap, err
		}
		for _, e := range got.Entries {
			if e.FutureDate != "" {
				r.logger().Warn("list date in the future ignored", "date", e.FutureDate, "link", e.Link)
			}
			snap.Feed.Entries = append(snap.Feed.Entries, Entry{Title: e.Title, Link: e.Link, Published: e.Date})
		}
		next := pager.Next(body, resp.FinalURL, got)
		snap.Paging = pager.Family()
		if page >= max(ls.Pages, 1) || next == "" {
			return snap, nil
		}
		if resp, err = r.Fetcher.Fetch(ctx, next, Validators{}); err != nil {
			snap.Problem, snap.Incomplete = fmt.Errorf("page %d: %w", page+1, err), true
			return snap, nil
		}
	}
	return snap, nil
}

// Detail fetches e's own page and returns e with the article's text as its
// content, the page's date (which wins over the list's) and its full title
// when the list cut it. It returns e unchanged for sources without a detail
// block.
func (r *Reader) Detail(ctx context.Context, e Entry, now time.Time) (Entry, error) {
	ls := r.Source.List
	if ls == nil || ls.Detail == nil || e.Link == "" {
		return e, nil
	}
	resp, err := r.Fetcher.Fetch(ctx, e.Link, Validators{})
	if err != nil {
		return e, fmt.Errorf("detail page: %w", err)
	}
	body, _, err := DecodeUTF8(resp.Body, r.contentType(resp.ContentType))
	if err != nil {
		return e, fmt.Errorf("detail page %s: %w", redactURL(e.Link), err)
	}
	if IsChallenge(resp.Status, body) {
		return e, fmt.Errorf("detail page: %w", &ChallengeError{URL: redactURL(resp.FinalURL)})
	}
	d, err := ls.Detail.Extract(body, resp.FinalURL, listpage.Options{Location: r.loc(), Now: now})
	if err != nil {
		return e, fmt.Errorf("detail page %s: %w", redactURL(e.Link), err)
	}
	if d.Note != "" {
		r.logger().Warn("detail page read without its text", "note", d.Note)
	}
	e.Content = d.BodyHTML
	if !d.Date.IsZero() {
		e.Published = d.Date
	}
	e.Title = listpage.BetterTitle(e.Title, d.Title)
	return e, nil
}

func (r *Reader) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
