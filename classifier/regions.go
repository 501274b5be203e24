package classifier

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/qualitywatch/qualitywatch/classifier/region"
)

// Region slugs outside the 16 Shandong cities.
const (
	RegionShandong = region.Shandong
	RegionNational = region.National
	RegionOther    = region.Other
)

// placeStrength says how much a place name tells about the region.
type placeStrength uint8

const (
	placeStrong placeStrength = iota // a city, county or the province by name
	placeWeak                        // 全省, 省市场监管局: Shandong only if nothing else is named
)

// place is one name of the gazetteer.
type place struct {
	name     string // normalised
	region   int    // index into gazetteer.slugs
	strength placeStrength
}

// gazetteer is the parsed regions.yaml; immutable.
type gazetteer struct {
	places []place
	slugs  []string       // region slugs: the cities, the province, national, other
	order  map[string]int // region slug -> index into slugs, also the tie-break rank
}

// region returns the index of a slug, adding it when new.
func (g *gazetteer) region(slug string) int {
	if i, ok := g.order[slug]; ok {
		return i
	}
	g.order[slug] = len(g.slugs)
	g.slugs = append(g.slugs, slug)
	return len(g.slugs) - 1
}

// gazetteerOnce parses the embedded gazetteer on first use.
var gazetteerOnce = sync.OnceValue(func() *gazetteer { return mustGazetteer(region.Gazetteer()) })

type gazetteerFile struct {
	Names    yaml.Node           `yaml:"names"` // read by package region
	Cities   yaml.Node           `yaml:"cities"`
	Province map[string][]string `yaml:"province"`
	National []string            `yaml:"national"`
	Weak     map[string][]string `yaml:"weak"`
	Other    []string            `yaml:"other"`
}

func mustGazetteer(data string) *gazetteer {
	g, err := parseGazetteer(data)
	if err != nil {
		panic(fmt.Sprintf("embedded gazetteer: %v", err)) // a build defect, caught by tests
	}
	return g
}

func parseGazetteer(data string) (*gazetteer, error) {
	var f gazetteerFile
	dec := yaml.NewDecoder(strings.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("regions.yaml: %w", err)
	}
	g := &gazetteer{order: map[string]int{}}
	seen := map[string]string{}
	add := func(name, region string, s placeStrength) error {
		name = Normalize(name)
		if prev, ok := seen[name]; ok {
			if prev == region {
				return nil
			}
			return fmt.Errorf("regions.yaml: %q is in both %s and %s", name, prev, region)
		}
		seen[name] = region
		g.places = append(g.places, place{name: name, region: g.region(region), strength: s})
		return nil
	}
	for i := 0; i+1 < len(f.Cities.Content); i += 2 {
		slug := f.Cities.Content[i].Value
		var names []string
		if err := f.Cities.Content[i+1].Decode(&names); err != nil || len(names) == 0 {
			return nil, fmt.Errorf("regions.yaml: cities.%s: want a list of names", slug)
		}
		g.region(slug)
		base := strings.TrimSuffix(names[0], "市")
		forms := []string{"山东省" + base + "市", "山东省" + base, "山东" + base}
		for _, n := range slices.Concat(names, forms) {
			if err := add(n, slug, placeStrong); err != nil {
				return nil, err
			}
		}
	}
	for slug, names := range f.Province {
		g.region(slug)
		for _, n := range names {
			if err := add(n, slug, placeStrong); err != nil {
				return nil, err
			}
		}
	}
	g.region(RegionNational)
	for _, n := range f.National {
		if err := add(n, RegionNational, placeStrong); err != nil {
			return nil, err
		}
	}
	for slug, names := range f.Weak {
		if _, ok := g.order[slug]; !ok {
			return nil, fmt.Errorf("regions.yaml: weak.%s: not a region", slug)
		}
		for _, n := range names {
			if err := add(n, slug, placeWeak); err != nil {
				return nil, err
			}
		}
	}
	g.region(RegionOther)
	for _, n := range f.Other {
		if err := add(n, RegionOther, placeStrong); err != nil {
			return nil, err
		}
	}
	var named []string
	for i := 0; i+1 < len(f.Names.Content); i += 2 {
		named = append(named, f.Names.Content[i].Value)
	}
	if !slices.Equal(named, g.slugs) {
		return nil, fmt.Errorf("regions.yaml: names lists %v, the places give %v", named, g.slugs)
	}
	return g, nil
}

// Regions lists the region slugs a verdict may carry, in gazetteer order
// (the same as region.Slugs).
func Regions() []string { return slices.Clone(gazetteerOnce().slugs) }
