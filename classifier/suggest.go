package classifier

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Term suggestion: which character n-grams distinguish a user's own
// examples (positives) from ordinary news (background)? No word segmentation
// is needed: every run of Han characters gives its 2- to 6-character
// n-grams, counted once per document. Each n-gram is scored with the
// log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and
// Quinn 2008, "Fightin' Words"), divided by its standard error, so that
// frequent and specific n-grams rank first.

// maxGram is the longest n-gram counted, in characters.
const maxGram = 6

// Suggestion is a candidate vocabulary term.
type Suggestion struct {
	Term       string  `json:"term"`
	Z          float64 `json:"z"`          // log-odds z-score; above 3 is notable
	Positive   int     `json:"positive"`   // positive documents containing it
	Background int     `json:"background"` // background documents containing it
	Known      string  `json:"known"`      // its category if the vocabulary has it, "context" for a context term
}

// NgramCounts holds the document frequencies of character n-grams.
type NgramCounts struct {
	docs   int
	counts map[string]int
	only   *NgramCounts // when set, count only n-grams present in it
}

// NewNgramCounts returns counts for positive examples.
func NewNgramCounts() *NgramCounts { return &NgramCounts{counts: map[string]int{}} }

// NewBackgroundCounts returns counts that keep only the n-grams seen in
// positives: a background of any size then needs little memory.
func NewBackgroundCounts(positives *NgramCounts) *NgramCounts {
	return &NgramCounts{counts: map[string]int{}, only: positives}
}

// Docs is the number of documents added.
func (nc *NgramCounts) Docs() int { return nc.docs }

// Add counts the n-grams of one document.
func (nc *NgramCounts) Add(in Input) {
	nc.docs++
	seen := map[string]bool{}
	for _, part := range []string{in.Title, in.Text} {
		text := Normalize(part)
		var run []int // byte offsets of the Han runes of the current run, plus its end
		flush := func(end int) {
			run = append(run, end)
			for i := 0; i+1 < len(run); i++ {
				for n := 2; n <= maxGram && i+n < len(run); n++ {
					g := text[run[i]:run[i+n]]
					if seen[g] {
						continue
					}
					if nc.only != nil {
						if _, ok := nc.only.counts[g]; !ok {
							continue
						}
					}
					seen[g] = true
					nc.counts[g]++
				}
			}
			run = run[:0]
		}
		for i, r := range text {
			if isHan(r) {
				run = append(run, i)
			} else if len(run) > 0 {
				flush(i)
			}
		}
		if len(run) > 0 {
			flush(len(text))
		}
	}
}

// Suggest ranks the n-grams of positives against background and returns the
// top ones whose z-score is at least minZ and that occur in at least
// minDocs positive documents. An n-gram is left out when a longer candidate
// containing it occurs in nearly as many positives; known terms are marked
// with their category (vocab may be nil).
func Suggest(positives, background *NgramCounts, vocab *Vocabulary, top, minDocs int, minZ float64) []Suggestion {
	known := map[string]string{}
	if vocab != nil {
		for _, t := range vocab.terms {
			known[t.Term] = t.Category
		}
		for _, c := range vocab.context {
			known[c] = "context"
		}
	}
	np, nb := float64(positives.docs), float64(background.docs)
	var cands, out []Suggestion
	for g, y := range positives.counts {
		if y < minDocs {
			continue
		}
		x := background.counts[g]
		// Prior: the n-gram's pooled rate, worth 10 documents.
		rate := (float64(x+y) + 1) / (np + nb + 2)
		a := 10 * rate
		a0 := 10.0
		fy, fx := float64(y), float64(x)
		delta := math.Log((fy+a)/(np+a0-fy-a)) - math.Log((fx+a)/(nb+a0-fx-a))
		z := delta / math.Sqrt(1/(fy+a)+1/(fx+a))
		cands = append(cands, Suggestion{Term: g, Z: math.Round(z*100) / 100, Positive: y, Background: x, Known: known[g]})
	}
	// Keep closed n-grams only: one that nearly always occurs inside a
	// longer candidate (管局 inside 市场监管局) says nothing of its own.
	byLen := slices.Clone(cands)
	slices.SortFunc(byLen, func(a, b Suggestion) int { return len(b.Term) - len(a.Term) })
	for _, s := range cands {
		if s.Z >= minZ && !subsumed(s, byLen) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Suggestion) int {
		if a.Z != b.Z {
			if a.Z > b.Z {
				return -1
			}
			return 1
		}
		if la, lb := utf8.RuneCountInString(a.Term), utf8.RuneCountInString(b.Term); la != lb {
			return lb - la
		}
		return strings.Compare(a.Term, b.Term)
	})
	return out[:min(top, len(out))]
}

// subsumed reports whether a longer candidate contains s and occurs in at
// least 80% of its positive documents; longer is sorted longest first.
func subsumed(s Suggestion, longer []Suggestion) bool {
	for _, k := range longer {
		if len(k.Term) <= len(s.Term) {
			return false
		}
		if 5*k.Positive >= 4*s.Positive && strings.Contains(k.Term, s.Term) {
			return true
		}
	}
	return false
}
