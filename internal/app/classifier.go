package app

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/classifier"
	"github.com/qualitywatch/qualitywatch/config"
)

// Classifier adapts the pure classifier to the watcher and to alerts.
type Classifier struct{ c *classifier.Classifier }

// NewClassifier builds the classifier the config asks for: the embedded
// vocabulary, replaced or extended by classifier.vocabulary.
func NewClassifier(cfg config.Classifier) (*Classifier, error) {
	var opts classifier.Options
	if cfg.Vocabulary != "" {
		v, err := classifier.LoadVocabulary(cfg.Vocabulary)
		if err != nil {
			return nil, fmt.Errorf("classifier.vocabulary: %w", err)
		}
		if cfg.Extend {
			v = classifier.DefaultVocabulary().Extend(v)
		}
		opts.Vocabulary = v
	}
	if cfg.MinScore != nil {
		opts.MinScore = *cfg.MinScore
	}
	c, err := classifier.New(opts)
	if err != nil {
		return nil, fmt.Errorf("classifier: %w", err)
	}
	return &Classifier{c: c}, nil
}

// Vocabulary is the vocabulary in force: it also names its categories.
func (c *Classifier) Vocabulary() *classifier.Vocabulary { return c.c.Vocabulary() }

// Categories lists the categories of the vocabulary in force.
func (c *Classifier) Categories() []string {
	var cats []string
	for _, t := range c.c.Vocabulary().Terms() {
		if t.Category != classifier.General && !slices.Contains(cats, t.Category) {
			cats = append(cats, t.Category)
		}
	}
	slices.Sort(cats)
	return cats
}

// checkCategories reports notifier filters naming a category the vocabulary
// in force does not have: such a filter would silently never match.
func checkCategories(cfg *config.Config, known []string) error {
	var errs []error
	for i, n := range cfg.Notifiers {
		for key, f := range map[string]*config.Filter{"match": n.Match, "exclude": n.Exclude} {
			if f == nil {
				continue
			}
			for j, c := range f.Categories {
				if !slices.Contains(known, c) {
					errs = append(errs, fmt.Errorf("notifiers[%d].%s.categories[%d]: %q is not a category of the vocabulary in force; known: %s",
						i, key, j, c, strings.Join(known, ", ")))
				}
			}
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// Classify judges a title and text.
func (c *Classifier) Classify(title, text string) alert.Verdict {
	return toAlertVerdict(c.c.Classify(classifier.Input{Title: title, Text: text}))
}

// toAlertVerdict converts the classifier's verdict to the alert schema's.
func toAlertVerdict(v classifier.Verdict) alert.Verdict {
	terms := make([]alert.Term, len(v.Terms))
	for i, t := range v.Terms {
		terms[i] = alert.Term{Term: t.Term, Category: t.Category, Count: t.Count}
	}
	return alert.Verdict{Match: v.Match, Score: v.Score, Categories: v.Categories, Regions: v.Regions, Terms: terms}
}
