package watcher

import (
	"context"
	"errors"
	"sync"
	"time"
)

// maxDetailAttempts is how many polls try an entry's detail page before
// the entry is published with what the list gave.
const maxDetailAttempts = 3

// detailWorkers bounds the detail pages fetched at once by one poll (the
// per-host limit applies on top).
const detailWorkers = 4

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
