package classifier

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

// Scoring constants. Evidence is the sum over matched terms of
//
//	weight × (titleBoost if the term is in the title + (1 + ln n) × lengthFactor)
//
// where n is how often the term occurs in the cleaned body and lengthFactor
// is min(1, sqrt(refRunes / body runes)): a long economy report that names
// 抽检 once and 质量强市 once is not a quality announcement, a short one
// about them is. The score is 1 - exp(-evidence / scale), which is 0.5 at
// thresholdEvidence. A match also needs categoryFloor of evidence from terms
// of a real category (not general).
const (
	titleBoost        = 3.0
	refRunes          = 1200.0
	thresholdEvidence = 16.0
	categoryFloor     = 6.0
	scale             = thresholdEvidence / math.Ln2
	categoryShare     = 0.25 // a category is named from this share of the top one
	regionShare       = 0.4  // a region is named from this share of the top one
)

// scratch is the per-call working memory of Classify, pooled.
type scratch struct {
	title, norm, body []byte
	bodyRunes         int
	seen              map[uint64]struct{}
	titleCount        []int32 // by term index
	bodyCount         []int32
	hit               []int32 // term indexes with a count, in first-seen order
	segments          int     // body segments
	segmentsHit       int     // body segments holding a categorised term
	segEnd            int     // end of the segment of the last categorised body hit
	general           []bool  // by term index: the term is in category general
	regionTitle       map[string]int
	regionBody        map[string]int
	weakBody          map[string]int
}

func newScratch(v *Vocabulary) *scratch {
	terms := len(v.terms)
	general := make([]bool, terms)
	for i, t := range v.terms {
		general[i] = t.Category == General
	}
	return &scratch{
		general:     general,
		seen:        map[uint64]struct{}{},
		titleCount:  make([]int32, terms),
		bodyCount:   make([]int32, terms),
		regionTitle: map[string]int{},
		regionBody:  map[string]int{},
		weakBody:    map[string]int{},
	}
}

func (s *scratch) reset() {
	for _, i := range s.hit {
		s.titleCount[i], s.bodyCount[i] = 0, 0
	}
	s.hit = s.hit[:0]
	s.segmentsHit, s.segEnd = 0, -1
	clear(s.seen)
	clear(s.regionTitle)
	clear(s.regionBody)
	clear(s.weakBody)
}

// countBody records one match in the body, and whether it opens a new
// segment holding a categorised term.
func (s *scratch) countBody(p pattern, start int) {
	s.count(p, false)
	if p.term < 0 || start < s.segEnd || s.general[p.term] {
		return
	}
	s.segmentsHit++
	if i := bytes.IndexByte(s.body[start:], '\n'); i >= 0 {
		s.segEnd = start + i
	} else {
		s.segEnd = len(s.body)
	}
}

// count records one match.
func (s *scratch) count(p pattern, inTitle bool) {
	if p.term >= 0 {
		if s.titleCount[p.term] == 0 && s.bodyCount[p.term] == 0 {
			s.hit = append(s.hit, p.term)
		}
		if inTitle {
			s.titleCount[p.term]++
		} else {
			s.bodyCount[p.term]++
		}
	}
	if p.place >= 0 {
		pl := places.places[p.place]
		switch {
		case pl.strength == placeWeak:
			if !inTitle {
				s.weakBody[pl.region]++
			} else {
				s.regionTitle[pl.region]++
			}
		case inTitle:
			s.regionTitle[pl.region]++
		default:
			s.regionBody[pl.region]++
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
	runes, segments, segmentsHit     int
}

// verdict turns the counts into a Verdict.
func (c *Classifier) verdict(s *scratch) (Verdict, evidence) {
	lf := 1.0
	if s.bodyRunes > refRunes {
		lf = math.Sqrt(refRunes / float64(s.bodyRunes))
	}
	var total, categorised float64
	perCat := map[string]float64{}
	list := make([]scored, 0, len(s.hit))
	for _, i := range s.hit {
		t := c.vocab.terms[i]
		e := 0.0
		if s.titleCount[i] > 0 {
			e += titleBoost
		}
		if n := s.bodyCount[i]; n > 0 {
			e += (1 + math.Log(float64(n))) * lf
		}
		e *= t.Weight
		total += e
		if t.Category != General {
			categorised += e
			perCat[t.Category] += e
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
		t := c.vocab.terms[x.idx]
		v.Terms = append(v.Terms, Term{Term: t.Term, Category: t.Category, Count: int(s.titleCount[x.idx] + s.bodyCount[x.idx])})
	}
	v.Categories = topKeys(perCat, categoryShare, nil)
	v.Regions = regionsOf(s)
	return v, evidence{total, categorised, lf, s.bodyRunes, s.segments, s.segmentsHit}
}

// topKeys returns the keys whose value is at least share of the largest,
// largest first, ties by rank (when given) then name.
func topKeys(m map[string]float64, share float64, rank map[string]int) []string {
	best := 0.0
	for _, x := range m {
		best = max(best, x)
	}
	out := []string{}
	if best <= 0 {
		return out
	}
	for k, x := range m {
		if x >= share*best {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		if rank != nil && rank[a] != rank[b] {
			return rank[a] - rank[b]
		}
		return strings.Compare(a, b)
	})
	return out
}

// regionsOf picks the regions an item is about: a name in the title counts
// as titleBoost mentions; weak names count for Shandong only when no place
// outside Shandong is named; with nothing found the region is "other".
func regionsOf(s *scratch) []string {
	score := map[string]float64{}
	for r, n := range s.regionTitle {
		score[r] += titleBoost * float64(n)
	}
	for r, n := range s.regionBody {
		score[r] += 1 + math.Log(float64(n))
	}
	if score[RegionOther] == 0 {
		for r, n := range s.weakBody {
			score[r] += 0.5 * (1 + math.Log(float64(n)))
		}
	}
	out := topKeys(score, regionShare, places.order)
	// A city article names its province in passing; the province stays only
	// when it is in the title or outweighs every city named.
	if i := slices.Index(out, RegionShandong); i >= 0 && s.regionTitle[RegionShandong] == 0 {
		for _, r := range out {
			if places.order[r] < places.order[RegionShandong] && score[r] >= score[RegionShandong] {
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
