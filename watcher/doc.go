// Package watcher polls sources — feeds and government list pages — and
// puts every new entry, classified, on the items stream. A poll of one
// source (Poller.Poll, run by the Scheduler on the source's cron schedule):
//
//  1. State: the source's memory is read from the sources bucket (validators,
//     baseline taken, health, backoff); a poll deferred by Retry-After or by a
//     failing source's backoff is skipped here (seen.go, health.go).
//  2. Fetch: a conditional GET (ETag, Last-Modified), size-capped and timed
//     out; a list source's requests are polite per host, keep their own
//     cookies and reach only the source's host or public addresses
//     (fetch.go, polite.go, guard.go). A body identical to the last one
//     handled in full is recognised by its hash and not parsed (read.go).
//  3. Decode and parse: the charset is found (header, BOM, prolog, meta, then
//     GB18030/Big5 detection) and the body read as a feed with gofeed, or as
//     list pages with their selectors, page after page (decode.go, parse.go,
//     read.go, and package listpage).
//  4. Identify: each entry's identities (canonical link, guid, else title and
//     date) are looked up in the source's seen-store value; an entry is new
//     when none of them was seen (identity.go, listed.go).
//  5. Complete: a list source's new entries are read from their own pages for
//     their text and date; a page that fails waits for the next poll, a few
//     times (read.go, poll.go).
//  6. Build and classify: each new entry becomes an item carrying its verdict
//     (item.go); an alerted entry corrected since gives one update item.
//  7. Publish: new items go out oldest first, without waiting for each
//     acknowledgement, then all acknowledgements are awaited (publish.go);
//     only then are they recorded as seen, in one write of the seen-store
//     value. At first sight (baseline) entries are recorded, not published.
//  8. Remember: validators and body hash are saved only when every new entry
//     was handled, so a poll cut short loses nothing; the source's health is
//     updated, and a change of state published once (health.go).
package watcher
