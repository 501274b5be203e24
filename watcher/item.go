package watcher

import (
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
)

// maxTextRunes bounds the text attached to an item and classified.
const maxTextRunes = 20000

// BuildItem turns a feed entry into the item published on the items stream,
// classified by c.
func BuildItem(source string, e Entry, id string, now time.Time, c Classifier) alert.Item {
	text, summary := entryText(e)
	title := strings.TrimSpace(PlainText(e.Title))
	it := alert.Item{
		Schema:  alert.ItemSchema,
		ID:      id,
		Source:  source,
		Title:   title,
		Link:    strings.TrimSpace(e.Link),
		Fetched: now.UTC().Format(time.RFC3339),
		Summary: truncate(summary, 280),
		Text:    text,
	}
	if !e.Published.IsZero() {
		it.Published = e.Published.UTC().Format(time.RFC3339)
	}
	it.Verdict = c.Classify(title, text)
	return it
}

// entryText is an entry's text and summary as plain text, each of its
// content and summary read as HTML once: the text is the content (else the
// summary), cut to maxTextRunes; the summary the summary (else the content).
func entryText(e Entry) (text, summary string) {
	content, summary := PlainText(e.Content), PlainText(e.Summary)
	text = content
	if text == "" {
		text = summary
	}
	if summary == "" {
		summary = content
	}
	return truncateRunes(text, maxTextRunes), summary
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
