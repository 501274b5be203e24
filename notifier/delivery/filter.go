package delivery

import (
	"slices"
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
)

// Filter selects alerts. An empty field is no constraint; within a field any
// value may match; across fields all non-empty fields must match.
//
// Regions, Categories and Sources compare case-insensitively after trimming
// (they are ASCII slugs); Terms compare exactly after trimming with
// alert.Terms[].Term. MinScore matches an alert whose score is at least
// MinScore; 0 is no constraint.
type Filter struct {
	Regions    []string
	Categories []string
	Terms      []string
	Sources    []string
	MinScore   float64
}

// Empty reports whether f constrains nothing.
func (f Filter) Empty() bool {
	return len(f.Regions) == 0 && len(f.Categories) == 0 && len(f.Terms) == 0 &&
		len(f.Sources) == 0 && f.MinScore <= 0
}

// Admits reports whether a matches every non-empty field of f (an empty
// filter admits everything). Used for match:.
func (f Filter) Admits(a alert.Alert) bool {
	for _, c := range f.checks() {
		if !c(a) {
			return false
		}
	}
	return true
}

// Hits reports whether a matches any non-empty field of f (an empty filter
// hits nothing). Used for exclude:, where min_score drops alerts scoring at
// least that much.
func (f Filter) Hits(a alert.Alert) bool {
	for _, c := range f.checks() {
		if c(a) {
			return true
		}
	}
	return false
}

// checks returns one predicate per non-empty field.
func (f Filter) checks() []func(alert.Alert) bool {
	var cs []func(alert.Alert) bool
	if len(f.Regions) > 0 {
		cs = append(cs, func(a alert.Alert) bool { return anyFold(f.Regions, a.Regions...) })
	}
	if len(f.Categories) > 0 {
		cs = append(cs, func(a alert.Alert) bool { return anyFold(f.Categories, a.Categories...) })
	}
	if len(f.Sources) > 0 {
		cs = append(cs, func(a alert.Alert) bool { return anyFold(f.Sources, a.Source) })
	}
	if len(f.Terms) > 0 {
		cs = append(cs, func(a alert.Alert) bool {
			return slices.ContainsFunc(a.Terms, func(t alert.Term) bool {
				term := strings.TrimSpace(t.Term)
				return slices.ContainsFunc(f.Terms, func(w string) bool { return strings.TrimSpace(w) == term })
			})
		})
	}
	if f.MinScore > 0 {
		cs = append(cs, func(a alert.Alert) bool { return a.Score >= f.MinScore })
	}
	return cs
}

// anyFold reports whether any of have equals any of want, ignoring case and
// surrounding space.
func anyFold(want []string, have ...string) bool {
	for _, h := range have {
		h = strings.TrimSpace(h)
		for _, w := range want {
			if strings.EqualFold(strings.TrimSpace(w), h) {
				return true
			}
		}
	}
	return false
}
