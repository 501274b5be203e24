package classifier

import (
	"fmt"
	"hash/maphash"
	"sync"
)

// Input is one item to classify.
type Input struct {
	Title, Text string
}

// Term is one matched vocabulary term and how often it occurred (title and
// body together).
type Term struct {
	Term     string `json:"term"`
	Category string `json:"category"`
	Count    int    `json:"count"`
}

// Verdict is the classifier's answer for one item. Its slices are never nil,
// so that they encode as [] in JSON.
type Verdict struct {
	Match      bool     `json:"match"`
	Score      float64  `json:"score"` // in [0, 1]
	Categories []string `json:"categories"`
	Regions    []string `json:"regions"`
	Terms      []Term   `json:"terms"`
}

// DefaultMinScore is the score from which an item matches unless
// Options.MinScore says otherwise.
const DefaultMinScore = 0.5

// Options configure a Classifier.
type Options struct {
	Vocabulary *Vocabulary // nil: the embedded default
	MinScore   float64     // 0: DefaultMinScore
}

// Classifier classifies items. It is safe for concurrent use.
type Classifier struct {
	vocab    *Vocabulary
	minScore float64
	m        *matcher
	ct       *charTable
	seed     maphash.Seed // for spotting repeated segments
	scratch  sync.Pool    // *scratch
}

// New returns a classifier for the given options.
func New(opts Options) (*Classifier, error) {
	if opts.MinScore < 0 || opts.MinScore > 1 {
		return nil, fmt.Errorf("min score %v: want a number in [0, 1]", opts.MinScore)
	}
	v := opts.Vocabulary
	if v == nil {
		v = defaultVocab()
	}
	if len(v.terms) == 0 {
		return nil, fmt.Errorf("vocabulary %s: no terms", v.name)
	}
	c := &Classifier{vocab: v, minScore: opts.MinScore, m: newMatcher(v, gazetteerOnce()), ct: charTables(), seed: maphash.MakeSeed()}
	if c.minScore == 0 {
		c.minScore = DefaultMinScore
	}
	c.scratch.New = func() any { return newScratch(c.m) }
	return c, nil
}

var (
	defaultVocab = sync.OnceValue(DefaultVocabulary)
	defaultC     = sync.OnceValue(func() *Classifier {
		c, err := New(Options{})
		if err != nil {
			panic(fmt.Sprintf("default classifier: %v", err)) // a build defect, caught by tests
		}
		return c
	})
)

// Default returns the classifier with the embedded vocabulary and the
// default threshold. It is built once and shared.
func Default() *Classifier { return defaultC() }

// Vocabulary returns the vocabulary in force.
func (c *Classifier) Vocabulary() *Vocabulary { return c.vocab }

// MinScore returns the threshold in force.
func (c *Classifier) MinScore() float64 { return c.minScore }

// Patterns returns every string the classifier's automaton looks for (terms,
// their variants, context terms and place names), for benchmarks and tools
// that want a bare scan with the same vocabulary.
func (c *Classifier) Patterns() []string { return append([]string(nil), c.m.strs...) }

// maxPooledBytes bounds the working memory kept between calls.
const maxPooledBytes = 4 << 20

// Classify returns the verdict for one item.
func (c *Classifier) Classify(in Input) Verdict {
	v, _ := c.classify(in)
	return v
}

func (c *Classifier) classify(in Input) (Verdict, evidence) {
	s := c.scratch.Get().(*scratch)
	defer func() {
		if cap(s.norm) <= maxPooledBytes { // a huge item's buffers are not kept
			c.scratch.Put(s)
		}
	}()
	s.reset()
	// Title and body are normalised into one buffer, a line apart, and
	// scanned once: a match before titleEnd is in the title.
	n := normalizer{ct: c.ct, buf: s.norm[:0], segs: s.segs[:0]}
	n.run(stripMarkup(in.Title))
	n.pending = 0
	titleEnd := len(n.buf)
	n.buf = append(n.buf, '\n')
	n.base, n.record = len(n.buf), true
	n.run(stripMarkup(in.Text))
	s.norm, s.segs, s.bodyStart = n.buf, n.segs, n.base
	c.m.scan(s.norm, func(p int32, start int) {
		if start < titleEnd {
			s.count(&c.m.patterns[p], true)
		} else {
			s.hits = append(s.hits, hit{p, int32(start)})
		}
	})
	c.walkBody(s, func(seg []byte, hits []hit) {
		s.segments++
		s.bodyBytes += len(seg)
		categorised := false
		for _, x := range hits {
			p := &c.m.patterns[x.pattern]
			s.count(p, false)
			categorised = categorised || p.cat >= 0
		}
		if categorised {
			s.segmentsHit++
		}
	})
	return c.verdict(s)
}
