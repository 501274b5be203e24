package delivery

import (
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
)

func TestFilter(t *testing.T) {
	t.Parallel()
	base := mkAlert("f", func(a *alert.Alert) {
		a.Source = "weifang-news"
		a.Regions = []string{"weifang", "shandong"}
		a.Categories = []string{"sampling", "recall"}
		a.Terms = []alert.Term{{Term: "抽检", Category: "sampling"}, {Term: " 召回 ", Category: "recall"}}
		a.Score = 0.6
	})
	tests := []struct {
		name           string
		match, exclude Filter
		want           bool
	}{
		{"empty filters admit everything", Filter{}, Filter{}, true},
		{"region any-of", Filter{Regions: []string{"qingdao", "weifang"}}, Filter{}, true},
		{"region case and space insensitive", Filter{Regions: []string{" WeiFang "}}, Filter{}, true},
		{"region miss", Filter{Regions: []string{"qingdao"}}, Filter{}, false},
		{"category", Filter{Categories: []string{"recall"}}, Filter{}, true},
		{"category miss", Filter{Categories: []string{"award"}}, Filter{}, false},
		{"term exact after trim", Filter{Terms: []string{"召回"}}, Filter{}, true},
		{"term is not a substring match", Filter{Terms: []string{"抽"}}, Filter{}, false},
		{"source", Filter{Sources: []string{"weifang-news"}}, Filter{}, true},
		{"source miss", Filter{Sources: []string{"yantai-news"}}, Filter{}, false},
		{"min score met", Filter{MinScore: 0.6}, Filter{}, true},
		{"min score not met", Filter{MinScore: 0.61}, Filter{}, false},
		{"all fields must match", Filter{Regions: []string{"weifang"}, Categories: []string{"award"}}, Filter{}, false},
		{"all fields matching", Filter{Regions: []string{"shandong"}, Categories: []string{"sampling"}, Sources: []string{"weifang-news"}, Terms: []string{"抽检"}, MinScore: 0.5}, Filter{}, true},
		{"exclude region", Filter{}, Filter{Regions: []string{"shandong"}}, false},
		{"exclude any field drops", Filter{}, Filter{Regions: []string{"qingdao"}, Categories: []string{"recall"}}, false},
		{"exclude nothing matching", Filter{}, Filter{Regions: []string{"qingdao"}, Terms: []string{"计量"}}, true},
		{"exclude term", Filter{Regions: []string{"weifang"}}, Filter{Terms: []string{"召回"}}, false},
		{"exclude source", Filter{}, Filter{Sources: []string{"weifang-news"}}, false},
		{"exclude min score drops high scores", Filter{}, Filter{MinScore: 0.5}, false},
		{"exclude min score keeps lower scores", Filter{}, Filter{MinScore: 0.9}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.match.Admits(base) && !tc.exclude.Hits(base)
			if got != tc.want {
				t.Errorf("match %+v exclude %+v: got %v, want %v", tc.match, tc.exclude, got, tc.want)
			}
		})
	}
}
