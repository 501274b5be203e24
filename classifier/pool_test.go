package classifier

import (
	"os"
	"path/filepath"
	"testing"
)

type poolItem struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Category string `json:"category"`
	Title    string `json:"title"`
	Text     string `json:"text"`
}

// TestPoolFlags reports how much of ../shared/data/pool.jsonl (unlabelled
// news of every kind) the classifier flags; with -v it lists them. It fails
// only if more than 1% is flagged: the pool is mostly sports, finance,
// entertainment and politics, and real quality announcements are rare.
func TestPoolFlags(t *testing.T) {
	items := readJSONL[poolItem](t, filepath.Join(sharedDir(t), "data", "pool.jsonl"))
	c := Default()
	flagged, titleFlagged := 0, 0
	for _, it := range items {
		if it.Title != "" && c.Classify(Input{Title: it.Title}).Match {
			titleFlagged++
			if testing.Verbose() && os.Getenv("QUALITYWATCH_TITLES") != "" {
				t.Logf("title flag %s [%s] %q", it.ID, it.Category, it.Title)
			}
		}
		v := c.Classify(Input{Title: it.Title, Text: it.Text})
		if !v.Match {
			continue
		}
		flagged++
		if testing.Verbose() {
			title := it.Title
			if title == "" {
				title = string([]rune(it.Text)[:min(40, len([]rune(it.Text)))])
			}
			t.Logf("flag %s [%s] %.3f %q %v %v", it.ID, it.Category, v.Score, title, v.Categories, v.Terms[:min(5, len(v.Terms))])
		}
	}
	t.Logf("pool: %d of %d items flagged (%.2f%%); on titles alone %d", flagged, len(items), 100*float64(flagged)/float64(len(items)), titleFlagged)
	if flagged*100 > len(items) {
		t.Errorf("pool: %d of %d flagged, want at most 1%%", flagged, len(items))
	}
}
