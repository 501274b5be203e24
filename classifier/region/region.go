// Package region holds the regions a verdict may carry: their slugs, in
// rank order, with their Chinese and English names, and the gazetteer file
// (regions.yaml) that the classifier reads to find them in text. It is a
// leaf: config validates notifier filters and renderers name regions with
// it, without building the classifier's tables.
package region

import (
	_ "embed"
	"fmt"
	"slices"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Slugs of the regions outside the 16 Shandong cities.
const (
	Shandong = "shandong"
	National = "national"
	Other    = "other"
)

// data is the gazetteer: the regions' names and the place names that point
// to each.
//
//go:embed regions.yaml
var data string

// Region is one region a verdict may carry.
type Region struct {
	Slug string // ASCII: weifang, shandong, national, other
	ZH   string // 潍坊
	EN   string // Weifang
}

// Name returns the region's name in a locale: "en" gives English, anything
// else Chinese.
func (r Region) Name(locale string) string {
	if locale == "en" {
		return r.EN
	}
	return r.ZH
}

// regions parses the names section of the gazetteer once, on first use.
var regions = sync.OnceValues(func() ([]Region, error) { return parseNames(data) })

// parseNames reads the names section of a gazetteer file.
func parseNames(src string) ([]Region, error) {
	var f struct {
		Names yaml.Node `yaml:"names"`
	}
	if err := yaml.Unmarshal([]byte(src), &f); err != nil {
		return nil, fmt.Errorf("regions.yaml: %w", err)
	}
	if f.Names.Kind != yaml.MappingNode || len(f.Names.Content) == 0 {
		return nil, fmt.Errorf("regions.yaml: names: want a mapping of region slug to {zh, en}")
	}
	var out []Region
	for i := 0; i+1 < len(f.Names.Content); i += 2 {
		slug := f.Names.Content[i].Value
		var n struct {
			ZH string `yaml:"zh"`
			EN string `yaml:"en"`
		}
		if err := f.Names.Content[i+1].Decode(&n); err != nil || n.ZH == "" || n.EN == "" {
			return nil, fmt.Errorf("regions.yaml:%d: names.%s: want {zh: NAME, en: NAME}", f.Names.Content[i].Line, slug)
		}
		if slices.ContainsFunc(out, func(r Region) bool { return r.Slug == slug }) {
			return nil, fmt.Errorf("regions.yaml:%d: names.%s: defined twice", f.Names.Content[i].Line, slug)
		}
		out = append(out, Region{Slug: slug, ZH: n.ZH, EN: n.EN})
	}
	return out, nil
}

// must returns the parsed regions; the file is embedded, so an error is a
// build defect, caught by the tests.
func must() []Region {
	rs, err := regions()
	if err != nil {
		panic(fmt.Sprintf("embedded gazetteer: %v", err))
	}
	return rs
}

// List returns every region, in rank order: the 16 Shandong cities, the
// province, national bodies, other.
func List() []Region { return slices.Clone(must()) }

// Slugs returns the slugs of List.
func Slugs() []string {
	rs := must()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Slug
	}
	return out
}

// Lookup returns the region with a slug.
func Lookup(slug string) (Region, bool) {
	rs := must()
	i := slices.IndexFunc(rs, func(r Region) bool { return r.Slug == slug })
	if i < 0 {
		return Region{}, false
	}
	return rs[i], true
}

// Name names a region slug in a locale ("en" or Chinese); an unknown slug
// is returned as it is.
func Name(slug, locale string) string {
	if r, ok := Lookup(slug); ok {
		return r.Name(locale)
	}
	return slug
}

// Gazetteer returns the gazetteer file, for the classifier to parse.
func Gazetteer() string { return data }
