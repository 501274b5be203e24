package classifier

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed data/vocabulary.yaml
var defaultVocabulary []byte

// General is the category of terms that add evidence without naming a
// category of their own (质量, 市场监管局 ...).
const General = "general"

// categorySlug is what a category name may look like.
var categorySlug = regexp.MustCompile(`^[a-z][a-z-]*[a-z]$`)

// VocabTerm is one weighted term of a vocabulary.
type VocabTerm struct {
	Term     string  `json:"term" yaml:"term"`
	Category string  `json:"category" yaml:"category"`
	Weight   float64 `json:"weight" yaml:"weight"`
}

// Vocabulary is what the classifier looks for: weighted terms by category,
// context terms that do not count, and variant wordings. A Vocabulary is
// immutable once built.
type Vocabulary struct {
	name     string
	terms    []VocabTerm // in file order; Term normalised, unique
	context  []string    // normalised, unique
	variants [][2]string // {alternative, canonical}, normalised
	names    map[string]Names
}

// Names are a category's display names.
type Names struct {
	ZH string `json:"zh" yaml:"zh"` // 抽检
	EN string `json:"en" yaml:"en"` // Sampling inspection
}

// Name is the file the vocabulary came from, or "default".
func (v *Vocabulary) Name() string { return v.name }

// Terms returns the weighted terms in the order they were defined.
func (v *Vocabulary) Terms() []VocabTerm { return slices.Clone(v.terms) }

// Context returns the context terms, which are matched but never counted.
func (v *Vocabulary) Context() []string { return slices.Clone(v.context) }

// CategoryName names a category in a locale ("en" gives English, anything
// else Chinese): by the vocabulary's own names, else by the embedded
// vocabulary's (a replacing vocabulary keeps the default's names for the
// default's categories), else the slug itself.
func (v *Vocabulary) CategoryName(slug, locale string) string {
	n, ok := v.names[slug]
	if !ok && v.name != "default" {
		n, ok = defaultVocab().names[slug]
	}
	switch {
	case !ok:
		return slug
	case locale == "en":
		return n.EN
	default:
		return n.ZH
	}
}

// CategoryName names a category of the embedded vocabulary in a locale
// (Vocabulary.CategoryName).
func CategoryName(slug, locale string) string { return defaultVocab().CategoryName(slug, locale) }

// DefaultVocabulary returns the vocabulary embedded in the program.
func DefaultVocabulary() *Vocabulary {
	v, err := ParseVocabulary(defaultVocabulary, "default")
	if err != nil {
		panic(fmt.Sprintf("embedded vocabulary: %v", err)) // a build defect, caught by tests
	}
	return v
}

// LoadVocabulary reads and parses a vocabulary file.
func LoadVocabulary(path string) (*Vocabulary, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vocabulary: %w", err)
	}
	return ParseVocabulary(data, path)
}

// vocabFile is the YAML layout of a vocabulary file.
type vocabFile struct {
	Names      yaml.Node         `yaml:"names"`
	Categories yaml.Node         `yaml:"categories"`
	Context    []string          `yaml:"context"`
	Variants   map[string]string `yaml:"variants"`
}

// ParseVocabulary parses a vocabulary file; name is used in errors, which
// name the entry at fault and its line.
func ParseVocabulary(data []byte, name string) (*Vocabulary, error) {
	var f vocabFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	v := &Vocabulary{name: name}
	seen := map[string]string{}
	var errs []error
	if f.Categories.Kind != 0 && f.Categories.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: categories: want a mapping of category to terms", name, f.Categories.Line)
	}
	for i := 0; i+1 < len(f.Categories.Content); i += 2 {
		catNode, termsNode := f.Categories.Content[i], f.Categories.Content[i+1]
		cat := catNode.Value
		if !categorySlug.MatchString(cat) {
			errs = append(errs, fmt.Errorf("%s:%d: category %q: want lower-case ASCII letters and '-'", name, catNode.Line, cat))
			continue
		}
		if termsNode.Kind != yaml.MappingNode {
			errs = append(errs, fmt.Errorf("%s:%d: categories.%s: want a mapping of term to weight", name, termsNode.Line, cat))
			continue
		}
		for j := 0; j+1 < len(termsNode.Content); j += 2 {
			tn, wn := termsNode.Content[j], termsNode.Content[j+1]
			at := fmt.Sprintf("%s:%d: categories.%s.%s", name, tn.Line, cat, tn.Value)
			term := Normalize(tn.Value)
			var w float64
			if err := wn.Decode(&w); err != nil || math.IsNaN(w) || w <= 0 || w > 100 {
				errs = append(errs, fmt.Errorf("%s: weight %q: want a number in (0, 100]", at, wn.Value))
				continue
			}
			if term == "" {
				errs = append(errs, fmt.Errorf("%s: empty term", at))
				continue
			}
			if prev, ok := seen[term]; ok {
				errs = append(errs, fmt.Errorf("%s: term already defined in %s", at, prev))
				continue
			}
			seen[term] = cat
			v.terms = append(v.terms, VocabTerm{Term: term, Category: cat, Weight: w})
		}
	}
	for i, c := range f.Context {
		term := Normalize(c)
		if term == "" {
			errs = append(errs, fmt.Errorf("%s: context[%d]: empty term", name, i))
			continue
		}
		if prev, ok := seen[term]; ok {
			errs = append(errs, fmt.Errorf("%s: context[%d] %q: term already defined in %s", name, i, c, prev))
			continue
		}
		seen[term] = "context"
		v.context = append(v.context, term)
	}
	alts := make([]string, 0, len(f.Variants))
	for alt := range f.Variants {
		alts = append(alts, alt)
	}
	slices.Sort(alts)
	for _, alt := range alts {
		a, c := Normalize(alt), Normalize(f.Variants[alt])
		if a == "" || c == "" || a == c {
			errs = append(errs, fmt.Errorf("%s: variants.%s: want two different non-empty wordings", name, alt))
			continue
		}
		v.variants = append(v.variants, [2]string{a, c})
	}
	errs = append(errs, v.parseNames(&f.Names)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// parseNames reads the names section: category slug to {zh, en}. A name
// may be given for a category the file has no terms of: an extending file
// can rename the default's.
func (v *Vocabulary) parseNames(node *yaml.Node) []error {
	if node.Kind == 0 {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return []error{fmt.Errorf("%s:%d: names: want a mapping of category to {zh, en}", v.name, node.Line)}
	}
	var errs []error
	v.names = map[string]Names{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		slug := node.Content[i].Value
		var n Names
		if err := node.Content[i+1].Decode(&n); err != nil || n.ZH == "" || n.EN == "" {
			errs = append(errs, fmt.Errorf("%s:%d: names.%s: want {zh: NAME, en: NAME}", v.name, node.Content[i].Line, slug))
			continue
		}
		if !categorySlug.MatchString(slug) {
			errs = append(errs, fmt.Errorf("%s:%d: names: category %q: want lower-case ASCII letters and '-'", v.name, node.Content[i].Line, slug))
			continue
		}
		v.names[slug] = n
	}
	return errs
}

// Extend returns a vocabulary holding v's entries and other's: a term of
// other replaces the same term of v (its category and weight), context terms,
// variants and category names are added. Neither v nor other changes.
func (v *Vocabulary) Extend(other *Vocabulary) *Vocabulary {
	out := &Vocabulary{name: v.name + "+" + other.name}
	override := map[string]VocabTerm{}
	for _, t := range other.terms {
		override[t.Term] = t
	}
	otherContext := map[string]bool{}
	for _, c := range other.context {
		otherContext[c] = true
	}
	for _, t := range v.terms {
		if o, ok := override[t.Term]; ok {
			t = o
			delete(override, t.Term)
		}
		if !otherContext[t.Term] {
			out.terms = append(out.terms, t)
		}
	}
	for _, t := range other.terms {
		if _, ok := override[t.Term]; ok {
			out.terms = append(out.terms, t)
		}
	}
	defined := map[string]bool{}
	for _, t := range out.terms {
		defined[t.Term] = true
	}
	for _, c := range slices.Concat(v.context, other.context) {
		if !defined[c] {
			defined[c] = true
			out.context = append(out.context, c)
		}
	}
	out.variants = slices.Concat(v.variants, other.variants)
	out.names = maps.Clone(v.names)
	if out.names == nil {
		out.names = map[string]Names{}
	}
	maps.Copy(out.names, other.names)
	return out
}
