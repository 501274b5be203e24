package repost_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/qualitywatch/qualitywatch/classifier"
	"github.com/qualitywatch/qualitywatch/repost"
)

type poolItem struct{ ID, Title, Text string }

func readPool(t *testing.T) []poolItem {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "shared", "data", "pool.jsonl"))
	if err != nil {
		t.Skipf("../shared/data/pool.jsonl not available: %v", err)
	}
	defer f.Close()
	var out []poolItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var it poolItem
		if json.Unmarshal(sc.Bytes(), &it) == nil {
			out = append(out, it)
		}
	}
	return out
}

// jaccard of the character 3-grams of two normalised texts: the second
// method a merge is checked by.
func jaccard(a, b string) float64 {
	grams := func(s string) map[string]bool {
		r := []rune(classifier.Normalize(s))
		m := map[string]bool{}
		for i := 0; i+3 <= len(r); i++ {
			m[string(r[i:i+3])] = true
		}
		return m
	}
	ga, gb := grams(a), grams(b)
	inter := 0
	for g := range ga {
		if gb[g] {
			inter++
		}
	}
	union := len(ga) + len(gb) - inter
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// TestPoolFalseMerges runs the repost rule over every pair of pool items
// that could be merged (same stripped title, or a SimHash band in common)
// and checks each merge with a second method: 3-gram Jaccard of title and
// text. A merge the second method does not confirm (Jaccard < 0.5) counts
// as false; the figures are logged and bounded.
func TestPoolFalseMerges(t *testing.T) {
	items := readPool(t)
	prints := make([]repost.Print, len(items))
	byTitle := map[string][]int{}
	bands := map[[2]uint64][]int{}
	for i, it := range items {
		prints[i] = repost.Of(it.Title, it.Text)
		byTitle[prints[i].Title] = append(byTitle[prints[i].Title], i)
		for b := range 4 {
			key := [2]uint64{uint64(b), (prints[i].Sim >> (16 * b)) & 0xffff}
			bands[key] = append(bands[key], i)
		}
	}
	seen := map[[2]int]bool{}
	var merged, unconfirmed, candidates int
	check := func(group []int) {
		if len(group) > 400 {
			group = group[:400] // a crowded band: enough for the estimate
		}
		for x := 0; x < len(group); x++ {
			for y := x + 1; y < len(group); y++ {
				i, j := group[x], group[y]
				if seen[[2]int{i, j}] {
					continue
				}
				seen[[2]int{i, j}] = true
				candidates++
				same := repost.Same(prints[i], prints[j])
				if repost.SameKey(prints[i].Key(), prints[j].Key()) != same {
					t.Errorf("SameKey disagrees with Same (%v): %q | %q", same, items[i].Title, items[j].Title)
				}
				if !same {
					continue
				}
				merged++
				if jaccard(items[i].Title+items[i].Text, items[j].Title+items[j].Text) < 0.5 {
					unconfirmed++
					if unconfirmed <= 15 {
						t.Logf("unconfirmed merge: %q | %q", items[i].Title, items[j].Title)
					}
				}
			}
		}
	}
	for _, g := range byTitle {
		check(g)
	}
	for _, g := range bands {
		check(g)
	}
	if merged == 0 {
		t.Fatalf("pool: %d items, %d candidate pairs, none merged: the rate below would say nothing", len(items), candidates)
	}
	rate := float64(unconfirmed) / float64(merged)
	t.Logf("pool: %d items, %d candidate pairs, %d merged, %d not confirmed by 3-gram Jaccard ≥ 0.5 (%.2f%%)",
		len(items), candidates, merged, unconfirmed, 100*rate)
	if rate > 0.05 {
		t.Errorf("false-merge rate %.2f%% over 5%%", 100*rate)
	}
}
