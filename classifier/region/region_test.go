package region

import (
	"slices"
	"testing"
)

func TestList(t *testing.T) {
	want := []string{"jinan", "qingdao", "zibo", "zaozhuang", "dongying", "yantai", "weifang", "jining",
		"taian", "weihai", "rizhao", "linyi", "dezhou", "liaocheng", "binzhou", "heze", Shandong, National, Other}
	if got := Slugs(); !slices.Equal(got, want) {
		t.Errorf("Slugs() = %v, want %v", got, want)
	}
	for _, r := range List() {
		if r.ZH == "" || r.EN == "" {
			t.Errorf("%s: names %q %q", r.Slug, r.ZH, r.EN)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct{ slug, locale, want string }{
		{"weifang", "zh", "潍坊"},
		{"weifang", "en", "Weifang"},
		{"taian", "en", "Tai'an"},
		{"shandong", "", "山东省"},
		{"national", "en", "National"},
		{"atlantis", "zh", "atlantis"},
	}
	for _, tt := range tests {
		if got := Name(tt.slug, tt.locale); got != tt.want {
			t.Errorf("Name(%q, %q) = %q, want %q", tt.slug, tt.locale, got, tt.want)
		}
	}
}

func TestParseNamesErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"no names", "cities: {}\n", "regions.yaml: names: want a mapping of region slug to {zh, en}"},
		{"no en", "names:\n  jinan: {zh: 济南}\n", "regions.yaml:2: names.jinan: want {zh: NAME, en: NAME}"},
		{"twice", "names:\n  jinan: {zh: 济南, en: Jinan}\n  jinan: {zh: 济南, en: Jinan}\n", "regions.yaml:3: names.jinan: defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseNames(tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
