package watcher

import (
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/repost"
)

// contentOf is what an alerted item said, to compare later versions with.
func (p *Poller) contentOf(it alert.Item) Content {
	pr := repost.Of(it.Title, it.Text)
	return Content{ID: it.ID, Title: KeyHash(pr.Title), Sim: pr.Sim, Long: pr.Chars >= repost.Long && p.Source.List == nil}
}

// update reports whether a seen entry is an alerted one whose title or
// text changed materially since (not only white space, punctuation or a
// view counter), and that has had no update yet: at most one per item.
// A list source's text is only its detail page's, read once, so only its
// title is compared.
func (p *Poller) update(listed *Listed, e Entry, hashes []uint64) (fresh, bool) {
	old, ok := listed.ContentOf(hashes[0])
	if !ok || old.Updated {
		return fresh{}, false
	}
	text, _ := entryText(e)
	cur := p.contentOf(alert.Item{Title: strings.TrimSpace(PlainText(e.Title)), Text: text})
	material := cur.Title != old.Title || (old.Long && cur.Long && repost.Distance(cur.Sim, old.Sim) > materialDistance)
	if !material {
		return fresh{}, false
	}
	p.Logger.Info("an alerted item was corrected: publishing one update", "id", old.ID)
	return fresh{id: old.ID, e: e, hashes: hashes}, true
}

// materialDistance is the SimHash distance from which a changed text is a
// correction rather than a view counter or a reformatting.
const materialDistance = 12
