package classifier

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSeeds is the golden test on the five articles the project was created
// from (../shared/seeds, third-party, not copied here): each must match and
// carry the right regions. The first line of a seed is its title.
func TestSeeds(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "seeds")
	tests := []struct {
		prefix  string
		regions []string // exactly these, in this order
		cats    []string // at least these
	}{
		{"000_", []string{"qingdao"}, []string{"campaign"}},
		{"001_", []string{"yantai"}, []string{"standards"}},
		{"002_", []string{"liaocheng"}, []string{"campaign"}},
		{"003_", []string{"weifang"}, []string{"campaign"}},
		{"004_", []string{"shandong", "qingdao"}, []string{"campaign"}},
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("seeds: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			i := slices.IndexFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), tt.prefix) })
			if i < 0 {
				t.Skipf("no seed %s*", tt.prefix)
			}
			data, err := os.ReadFile(filepath.Join(dir, entries[i].Name()))
			if err != nil {
				t.Fatal(err)
			}
			title, text, _ := strings.Cut(string(data), "\n")
			v := Default().Classify(Input{Title: title, Text: text})
			t.Logf("%s: score %.3f categories %v regions %v terms %v", entries[i].Name(), v.Score, v.Categories, v.Regions, v.Terms[:min(8, len(v.Terms))])
			if !v.Match {
				t.Errorf("no match (score %.3f)", v.Score)
			}
			if !slices.Equal(v.Regions, tt.regions) {
				t.Errorf("regions %v, want %v", v.Regions, tt.regions)
			}
			for _, c := range tt.cats {
				if !slices.Contains(v.Categories, c) {
					t.Errorf("categories %v, want %s among them", v.Categories, c)
				}
			}
		})
	}
}
