package classifier

import (
	"strings"
)

// pattern is what one string of the automaton stands for: a vocabulary term
// (by index), a place of the gazetteer (by index), both, a context term, or
// a boilerplate mark.
type pattern struct {
	term    int32 // index into matcher.terms, or -1
	place   int32 // index into gazetteer.places, or -1
	cat     int32 // category index of the term, -1 for general or none
	vetoes  int32 // for a context term: index into matcher.vetoes, or -1
	context bool
	boiler  bool
}

// matcher finds vocabulary terms, context terms, place names and
// boilerplate marks in one leftmost-longest scan, so that a longer context
// term such as 高质量发展 consumes the 质量 inside it.
type matcher struct {
	g          *gazetteer
	trie       *trie
	patterns   []pattern
	strs       []string
	terms      []VocabTerm
	termCat    []int32   // by term: category index, -1 for general
	categories []string  // category names by index
	vetoes     [][]int32 // terms a context term vetoes: those it contains
}

// variantMinWeight is the weight from which a term also matches in its
// variant wordings.
const variantMinWeight = 3

func newMatcher(v *Vocabulary, g *gazetteer) *matcher {
	m := &matcher{g: g, terms: v.terms, termCat: make([]int32, len(v.terms))}
	catIndex := map[string]int32{}
	for i, t := range v.terms {
		m.termCat[i] = -1
		if t.Category == General {
			continue
		}
		ci, ok := catIndex[t.Category]
		if !ok {
			ci = int32(len(m.categories))
			catIndex[t.Category] = ci
			m.categories = append(m.categories, t.Category)
		}
		m.termCat[i] = ci
	}
	index := map[string]int{}
	get := func(s string) *pattern {
		i, ok := index[s]
		if !ok {
			i = len(m.strs)
			index[s] = i
			m.strs = append(m.strs, s)
			m.patterns = append(m.patterns, pattern{term: -1, place: -1, cat: -1, vetoes: -1})
		}
		return &m.patterns[i]
	}
	for i, t := range v.terms {
		p := get(t.Term)
		p.term, p.cat = int32(i), m.termCat[i]
	}
	for _, c := range v.context {
		get(c).context = true
	}
	// Variant wordings, for strong terms only (品质提升 is city rhetoric,
	// 省长品质奖 is the award), and only where not already a term.
	for _, va := range v.variants {
		alt, canon := va[0], va[1]
		for i, t := range v.terms {
			if t.Weight < variantMinWeight {
				continue
			}
			if s := strings.ReplaceAll(t.Term, canon, alt); s != t.Term {
				if _, ok := index[s]; !ok {
					p := get(s)
					p.term, p.cat = int32(i), m.termCat[i]
				}
			}
		}
		for _, c := range v.context {
			if s := strings.ReplaceAll(c, canon, alt); s != c {
				if _, ok := index[s]; !ok {
					get(s).context = true
				}
			}
		}
	}
	// A place name that holds a term counts as that term too: 省市场监管局 is
	// a 市场监管局 and 国家质检总局 the 质检总局, though the longer name
	// consumes the shorter one in the scan.
	for i, p := range g.places {
		pt := get(p.name)
		if pt.context {
			continue
		}
		pt.place = int32(i)
		if pt.term < 0 {
			if ti := longestTermIn(v.terms, p.name); ti >= 0 {
				pt.term, pt.cat = int32(ti), m.termCat[ti]
			}
		}
	}
	// A context term vetoes the terms it contains: an item that says 召回国家队
	// uses 召回 in its sporting sense, one that says 高质量发展 uses 质量 as
	// rhetoric, so their bare forms do not count in that item.
	for i, str := range m.strs {
		p := &m.patterns[i]
		if !p.context {
			continue
		}
		var vs []int32
		for ti, t := range v.terms {
			if len(t.Term) < len(str) && strings.Contains(str, t.Term) {
				vs = append(vs, int32(ti))
			}
		}
		if len(vs) > 0 {
			p.vetoes = int32(len(m.vetoes))
			m.vetoes = append(m.vetoes, vs)
		}
	}
	for _, b := range boilerplateMarks {
		if _, ok := index[b]; !ok {
			get(b).boiler = true
		}
	}
	m.trie = buildTrie(m.strs)
	return m
}

// longestTermIn returns the index of the longest term inside s, or -1.
func longestTermIn(terms []VocabTerm, s string) int {
	best := -1
	for i, t := range terms {
		if len(t.Term) < len(s) && strings.Contains(s, t.Term) && (best < 0 || len(t.Term) > len(terms[best].Term)) {
			best = i
		}
	}
	return best
}

// scan calls fn for every leftmost-longest non-overlapping match in text
// (normalised, so valid UTF-8), with the index of its pattern and where it
// starts.
func (m *matcher) scan(text []byte, fn func(p int32, start int)) {
	m.trie.scan(text, fn)
}
