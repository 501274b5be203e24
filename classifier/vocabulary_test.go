package classifier

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultVocabularyRoundTrip(t *testing.T) {
	v := DefaultVocabulary()
	if len(v.Terms()) < 100 || len(v.Context()) < 20 {
		t.Fatalf("default vocabulary: %d terms, %d context terms", len(v.Terms()), len(v.Context()))
	}
	back, err := ParseVocabulary(v.YAML(), "printed")
	if err != nil {
		t.Fatalf("parse printed vocabulary: %v", err)
	}
	if !reflect.DeepEqual(back.terms, v.terms) || !reflect.DeepEqual(back.context, v.context) || !reflect.DeepEqual(back.variants, v.variants) || !reflect.DeepEqual(back.names, v.names) {
		t.Error("printed vocabulary does not parse back to the same vocabulary")
	}
	for _, term := range v.Terms() {
		if term.Category != General && !categorySlug.MatchString(term.Category) {
			t.Errorf("category %q is not a slug", term.Category)
		}
	}
}

func TestParseVocabularyErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"bad weight", "categories:\n  sampling:\n    抽检: -1\n", `bad.yaml:3: categories.sampling.抽检: weight "-1"`},
		{"weight not a number", "categories:\n  sampling:\n    抽检: many\n", `bad.yaml:3: categories.sampling.抽检: weight "many"`},
		{"bad category", "categories:\n  Sampling:\n    抽检: 1\n", `bad.yaml:2: category "Sampling"`},
		{"duplicate across categories", "categories:\n  sampling:\n    抽检: 1\n  recall:\n    抽檢: 2\n", `bad.yaml:5: categories.recall.抽檢: term already defined in sampling`},
		{"context clash", "categories:\n  sampling:\n    抽检: 1\ncontext:\n  - 抽检\n", `bad.yaml: context[0] "抽检": term already defined in sampling`},
		{"unknown key", "categories: {}\nterms: []\n", "bad.yaml: yaml: unmarshal errors:\n  line 2: field terms not found"},
		{"terms not a mapping", "categories:\n  sampling: [抽检]\n", "bad.yaml:2: categories.sampling: want a mapping"},
		{"names without en", "names:\n  sampling: {zh: 抽检}\ncategories:\n  sampling:\n    抽检: 1\n", "bad.yaml:2: names.sampling: want {zh: NAME, en: NAME}"},
		{"names not a mapping", "names: [抽检]\ncategories:\n  sampling:\n    抽检: 1\n", "bad.yaml:1: names: want a mapping of category to {zh, en}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseVocabulary([]byte(tt.file), "bad.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestVocabularyExtend(t *testing.T) {
	user, err := ParseVocabulary([]byte("categories:\n  sampling:\n    抽檢: 9\n  brand:\n    泰好品: 6\ncontext:\n  - 质量月饼\n"), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	v := DefaultVocabulary().Extend(user)
	weights := map[string]float64{}
	for _, term := range v.Terms() {
		weights[term.Term] = term.Weight
	}
	if weights["抽检"] != 9 || weights["泰好品"] != 6 || weights["召回"] == 0 {
		t.Errorf("extended weights: 抽检 %v 泰好品 %v 召回 %v", weights["抽检"], weights["泰好品"], weights["召回"])
	}
	c, err := New(Options{Vocabulary: v})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify(Input{Title: "泰好品 泰好品 质量公共品牌发布"}); !got.Match {
		t.Errorf("extended term did not count: %+v", got)
	}
	if got := c.Classify(Input{Title: "中秋质量月饼促销"}); got.Match {
		t.Errorf("extended context term counted: %+v", got)
	}
}

func TestLoadVocabulary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.yaml")
	if err := os.WriteFile(path, []byte("categories:\n  recall:\n    召回: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := LoadVocabulary(path)
	if err != nil || len(v.Terms()) != 1 || v.Name() != path {
		t.Fatalf("LoadVocabulary: %v, %+v", err, v)
	}
	if _, err := LoadVocabulary(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestCategoryNames(t *testing.T) {
	def := DefaultVocabulary()
	user, err := ParseVocabulary([]byte("names:\n  food-fraud: {zh: 食品欺诈, en: Food fraud}\ncategories:\n  food-fraud:\n    地沟油: 6\n  sampling:\n    抽检: 5\n"), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bare, err := ParseVocabulary([]byte("categories:\n  food-fraud:\n    地沟油: 6\n"), "bare.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		v            *Vocabulary
		slug, zh, en string
	}{
		{"default", def, "sampling", "抽检", "Sampling inspection"},
		{"quality month", def, "quality-month", "质量月", "Quality month"},
		{"default, unknown", def, "food-fraud", "food-fraud", "food-fraud"},
		{"own names", user, "food-fraud", "食品欺诈", "Food fraud"},
		{"replacing: the default's names", user, "sampling", "抽检", "Sampling inspection"},
		{"no names: the slug", bare, "food-fraud", "food-fraud", "food-fraud"},
		{"extended", def.Extend(user), "food-fraud", "食品欺诈", "Food fraud"},
		{"extended, default's", def.Extend(bare), "recall", "召回", "Recall"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.CategoryName(tt.slug, "zh"); got != tt.zh {
				t.Errorf("zh: %q, want %q", got, tt.zh)
			}
			if got := tt.v.CategoryName(tt.slug, "en"); got != tt.en {
				t.Errorf("en: %q, want %q", got, tt.en)
			}
		})
	}
	// Every category of the default vocabulary has names.
	for _, term := range def.Terms() {
		if term.Category != General && def.CategoryName(term.Category, "en") == term.Category {
			t.Errorf("category %s has no names", term.Category)
		}
	}
	back, err := ParseVocabulary(user.YAML(), "printed")
	if err != nil || !reflect.DeepEqual(back.names, user.names) {
		t.Errorf("names do not survive printing: %v, %v", err, back)
	}
}
