package classifier

import (
	"path/filepath"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// benchInputs returns the benchmark corpus: every item of the shared pool
// (~21k real news items) when present, else this package's own small
// sample, repeated.
func benchInputs(b *testing.B) ([]Input, int64) {
	b.Helper()
	var items []poolItem
	if dir := sharedDirOrEmpty(); dir != "" {
		items = readJSONL[poolItem](b, filepath.Join(dir, "data", "pool.jsonl"))
	}
	if len(items) == 0 {
		for range 200 {
			items = append(items, readJSONL[poolItem](b, filepath.Join("testdata", "sample.jsonl"))...)
		}
	}
	ins := make([]Input, len(items))
	var n int64
	for i, it := range items {
		ins[i] = Input{Title: it.Title, Text: it.Text}
		n += int64(len(it.Title) + 1 + len(it.Text))
	}
	return ins, n
}

// BenchmarkScan is the floor Classify is measured against: a bare
// leftmost-longest Aho-Corasick scan (DFA) with the same patterns as the
// classifier's automaton (terms, variants, context terms, place names,
// boilerplate marks), once over the raw bytes of each item (title, a line
// break, text, joined before the timer starts), counting matches.
func BenchmarkScan(b *testing.B) {
	ins, n := benchInputs(b)
	builder := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.LeftMostLongestMatch, DFA: true})
	ac := builder.Build(Default().Patterns())
	raw := make([][]byte, len(ins))
	for i, in := range ins {
		raw[i] = []byte(in.Title + "\n" + in.Text)
	}
	b.SetBytes(n)
	b.ResetTimer()
	matches := 0
	for b.Loop() {
		for _, r := range raw {
			it := ac.IterByte(r)
			for m := it.Next(); m != nil; m = it.Next() {
				matches++
			}
		}
	}
	_ = matches
}

// BenchmarkClassify is the whole Classify on the same items: normalise
// (markup, NFKC, pinyin, traditional to simplified), clean (boilerplate,
// repeats), match, score and pick regions.
func BenchmarkClassify(b *testing.B) {
	ins, n := benchInputs(b)
	c := Default()
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		for _, in := range ins {
			c.Classify(in)
		}
	}
}

// BenchmarkNormalize is the normalisation step alone.
func BenchmarkNormalize(b *testing.B) {
	ins, n := benchInputs(b)
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		for _, in := range ins {
			Normalize(in.Title)
			Normalize(in.Text)
		}
	}
}

// BenchmarkMatcher is the classifier's own leftmost-longest matcher alone,
// over the same items once normalised.
func BenchmarkMatcher(b *testing.B) {
	ins, n := benchInputs(b)
	texts := make([][]byte, len(ins))
	for i, in := range ins {
		texts[i] = []byte(Normalize(in.Title + "\n" + in.Text))
	}
	tr := Default().m.trie
	b.SetBytes(n)
	b.ResetTimer()
	matches := 0
	for b.Loop() {
		for _, text := range texts {
			tr.scan(text, func(int32, int) { matches++ })
		}
	}
}
