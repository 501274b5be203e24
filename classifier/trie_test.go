package classifier

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

type match struct {
	pattern int32
	start   int
}

// acMatches is the reference: the library's leftmost-longest automaton,
// whose iterator also reports matches inside the previous one; those are
// dropped, which leaves the leftmost-longest non-overlapping sequence.
func acMatches(ac ahocorasick.AhoCorasick, text []byte) []match {
	var out []match
	it := ac.IterByte(text)
	end := 0
	for x := it.Next(); x != nil; x = it.Next() {
		if x.Start() < end {
			continue
		}
		end = x.End()
		out = append(out, match{int32(x.Pattern()), x.Start()})
	}
	return out
}

func trieMatches(tr *trie, text []byte) []match {
	var out []match
	tr.scan(text, func(p int32, start int) { out = append(out, match{p, start}) })
	return out
}

func checkSameMatches(t *testing.T, ac ahocorasick.AhoCorasick, tr *trie, text []byte) {
	t.Helper()
	want, got := acMatches(ac, text), trieMatches(tr, text)
	if !slices.Equal(got, want) {
		t.Fatalf("trie and Aho-Corasick differ on %q:\ntrie %v\n  ac %v", text, got, want)
	}
}

// TestTrieMatchesAhoCorasick checks the classifier's matcher against the
// Aho-Corasick library on the classifier's own patterns: on the golden
// fixtures, on random mixtures of pattern pieces, and on the shared pool.
func TestTrieMatchesAhoCorasick(t *testing.T) {
	patterns := Default().Patterns()
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{MatchKind: ahocorasick.LeftMostLongestMatch, DFA: true})
	ac := b.Build(patterns)
	tr := Default().m.trie
	for _, g := range readJSONL[golden](t, filepath.Join("testdata", "golden.jsonl")) {
		checkSameMatches(t, ac, tr, []byte(Normalize(g.Title+"\n"+g.Text)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var sb strings.Builder
		for range 1 + rng.IntN(12) {
			p := []rune(patterns[rng.IntN(len(patterns))])
			lo := rng.IntN(len(p))
			hi := lo + 1 + rng.IntN(len(p)-lo)
			sb.WriteString(string(p[lo:hi]))
			if rng.IntN(4) == 0 {
				sb.WriteString("的")
			}
		}
		checkSameMatches(t, ac, tr, []byte(sb.String()))
	}
	if dir := sharedDirOrEmpty(); dir != "" {
		for _, it := range readJSONL[poolItem](t, filepath.Join(dir, "data", "pool.jsonl")) {
			checkSameMatches(t, ac, tr, []byte(Normalize(it.Title+"\n"+it.Text)))
		}
	}
}
