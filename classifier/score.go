package classifier

import (
	"math"
	"slices"
	"strings"
)

// Scoring constants. Evidence is the sum over matched terms of
//
//	weight × (titleBoost if the term is in the title + (1 + ln n) × bodyFactor)
//
// where n is how often the term occurs in the cleaned body and bodyFactor
// is min(1, sqrt(refBytes / body bytes)) × min(1, coverageBase +
// coverageSlope × share of segments holding a categorised term): a long
// economy report that names 抽检 once and 质量强市 once is not a quality
// announcement, a short one about them is. With nothing of the body kept
// (a title alone), titleOnlyBoost takes titleBoost's place, so that one
// term of weight 4 or more decides. The score is 1 - exp(-evidence /
// scale), which is 0.5 at thresholdEvidence. A match also needs
// categoryFloor of evidence from terms of a real category (not general).
const (
	titleBoost        = 3.0
	titleOnlyBoost    = 4.5    // the title boost when nothing of the body is kept
	refBytes          = 3600.0 // about 1200 Chinese characters
	thresholdEvidence = 16.0
	categoryFloor     = 6.0
	scale             = thresholdEvidence / math.Ln2
	categoryShare     = 0.25 // a category is named from this share of the top one
	minSegments       = 4    // from this many body segments, coverage counts
	coverageBase      = 0.4  // body evidence factor: base + slope × share of segments
	coverageSlope     = 1.5  // holding a categorised term, at most 1
	regionShare       = 0.4  // a region is named from this share of the top one
)

// maxRegions bounds the number of region slugs the gazetteer may define.
const maxRegions = 32

// scratch is the per-call working memory of Classify, pooled.
type scratch struct {
	g           *gazetteer
	norm        []byte  // normalised title, '\n', normalised body
	bodyStart   int     // where the body starts in norm
	segs        []int32 // segment ends in norm
	hits        []hit
	seen        map[uint64]span // kept segments by hash
	titleCount  []int32         // by term index
	bodyCount   []int32
	touched     []int32 // term indexes with a count, in first-seen order
	vetoed      []int32 // indexes into matcher.vetoes of the context terms seen
	catEvidence []float64
	bodyBytes   int
	segments    int // body segments kept
	segmentsHit int // kept segments holding a categorised term
	regTitle    [maxRegions]int32
	regBody     [maxRegions]int32
	regWeak     [maxRegions]int32
}

func newScratch(m *matcher) *scratch {
	return &scratch{
		g:           m.g,
		seen:        map[uint64]span{},
		titleCount:  make([]int32, len(m.terms)),
		bodyCount:   make([]int32, len(m.terms)),
		catEvidence: make([]float64, len(m.categories)),
	}
}

func (s *scratch) reset() {
	for _, i := range s.touched {
		s.titleCount[i], s.bodyCount[i] = 0, 0
	}
	s.touched = s.touched[:0]
	s.vetoed = s.vetoed[:0]
	s.hits = s.hits[:0]
	if len(s.seen) > 512 {
		s.seen = map[uint64]span{}
	} else {
		clear(s.seen)
	}
	clear(s.catEvidence)
	s.bodyBytes, s.segments, s.segmentsHit = 0, 0, 0
	s.regTitle, s.regBody, s.regWeak = [maxRegions]int32{}, [maxRegions]int32{}, [maxRegions]int32{}
}

// count records one match of pattern p in the title or a kept segment.
func (s *scratch) count(p *pattern, inTitle bool) {
	if p.vetoes >= 0 && !slices.Contains(s.vetoed, p.vetoes) {
		s.vetoed = append(s.vetoed, p.vetoes)
	}
	if p.term >= 0 {
		if s.titleCount[p.term] == 0 && s.bodyCount[p.term] == 0 {
			s.touched = append(s.touched, p.term)
		}
		if inTitle {
			s.titleCount[p.term]++
		} else {
			s.bodyCount[p.term]++
		}
	}
	if p.place >= 0 {
		pl := &s.g.places[p.place]
		switch {
		case inTitle:
			s.regTitle[pl.region]++
		case pl.strength == placeWeak:
			s.regWeak[pl.region]++
		default:
			s.regBody[pl.region]++
		}
	}
}

type scored struct {
	idx     int32
	contrib float64
}

// evidence is what a verdict was computed from; tests print it.
type evidence struct {
	total, categorised, lengthFactor float64
	bytes, segments, segmentsHit     int
}

// verdict turns the counts into a Verdict.
func (c *Classifier) verdict(s *scratch) (Verdict, evidence) {
	lf := 1.0
	if s.bodyBytes > refBytes {
		lf = math.Sqrt(refBytes / float64(s.bodyBytes))
	}
	if s.segments >= minSegments {
		lf *= min(1, coverageBase+coverageSlope*float64(s.segmentsHit)/float64(s.segments))
	}
	for _, vi := range s.vetoed {
		for _, i := range c.m.vetoes[vi] {
			s.titleCount[i], s.bodyCount[i] = 0, 0 // reset skips them: they stay in touched
		}
	}
	// A title alone (a list page's entry, a feed item without text) is all
	// the evidence there is: one strong term in it is enough.
	boost := titleBoost
	if s.bodyBytes == 0 {
		boost = titleOnlyBoost
	}
	var total, categorised float64
	list := make([]scored, 0, len(s.touched))
	for _, i := range s.touched {
		if s.titleCount[i] == 0 && s.bodyCount[i] == 0 {
			continue // vetoed
		}
		t := &c.vocab.terms[i]
		e := 0.0
		if s.titleCount[i] > 0 {
			e += boost
		}
		if n := s.bodyCount[i]; n > 0 {
			e += (1 + math.Log(float64(n))) * lf
		}
		e *= t.Weight
		total += e
		if ci := c.m.termCat[i]; ci >= 0 {
			categorised += e
			s.catEvidence[ci] += e
		}
		list = append(list, scored{i, e})
	}
	v := Verdict{
		Score:      math.Round((1-math.Exp(-total/scale))*1000) / 1000,
		Categories: []string{},
		Regions:    []string{},
		Terms:      make([]Term, 0, len(list)),
	}
	v.Match = v.Score >= c.minScore && categorised >= categoryFloor
	slices.SortFunc(list, func(a, b scored) int {
		if a.contrib != b.contrib {
			if a.contrib > b.contrib {
				return -1
			}
			return 1
		}
		return strings.Compare(c.vocab.terms[a.idx].Term, c.vocab.terms[b.idx].Term)
	})
	for _, x := range list {
		t := &c.vocab.terms[x.idx]
		v.Terms = append(v.Terms, Term{Term: t.Term, Category: t.Category, Count: int(s.titleCount[x.idx] + s.bodyCount[x.idx])})
	}
	v.Categories = topKeys(c.m.categories, s.catEvidence, categoryShare)
	v.Regions = regionsOf(s)
	return v, evidence{total, categorised, lf, s.bodyBytes, s.segments, s.segmentsHit}
}

// topKeys returns the names whose value is at least share of the largest,
// largest first, ties in name order (names are given in rank order).
func topKeys(names []string, values []float64, share float64) []string {
	best := 0.0
	for _, x := range values {
		best = max(best, x)
	}
	out := []string{}
	if best <= 0 {
		return out
	}
	idx := make([]int, 0, 4)
	for i, x := range values {
		if x >= share*best {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if values[a] != values[b] {
			if values[a] > values[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	for _, i := range idx {
		out = append(out, names[i])
	}
	return out
}

// regionsOf picks the regions an item is about: a name in the title counts
// as titleBoost mentions; weak names count for Shandong only when no place
// outside Shandong is named; with nothing found the region is "other".
func regionsOf(s *scratch) []string {
	places := s.g
	if s.regTitle == ([maxRegions]int32{}) && s.regBody == ([maxRegions]int32{}) && s.regWeak == ([maxRegions]int32{}) {
		return []string{RegionOther}
	}
	n := len(places.slugs)
	var score [maxRegions]float64
	other := places.order[RegionOther]
	for r := range n {
		score[r] = titleBoost * float64(s.regTitle[r])
		if b := s.regBody[r]; b > 0 {
			score[r] += 1 + math.Log(float64(b))
		}
	}
	if score[other] == 0 {
		for r := range n {
			if w := s.regWeak[r]; w > 0 {
				score[r] += 0.5 * (1 + math.Log(float64(w)))
			}
		}
	}
	out := topKeys(places.slugs, score[:n], regionShare)
	// A city article names its province in passing; the province stays only
	// when it is in the title or outweighs every city named.
	sd := places.order[RegionShandong]
	if i := slices.Index(out, RegionShandong); i >= 0 && s.regTitle[sd] == 0 {
		for _, r := range out {
			if places.order[r] < sd && score[places.order[r]] >= score[sd] {
				out = slices.Delete(out, i, i+1)
				break
			}
		}
	}
	if len(out) == 0 {
		return []string{RegionOther}
	}
	return out
}
