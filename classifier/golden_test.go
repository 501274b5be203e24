package classifier

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
)

// golden is one of this package's own fixtures (testdata/golden.jsonl,
// written for these tests): a short item and what its verdict must say.
type golden struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Text  string `json:"text"`
	Want  struct {
		Match      bool     `json:"match"`
		Categories []string `json:"categories"` // at least these
		Regions    []string `json:"regions"`    // exactly these
	} `json:"want"`
}

func TestGolden(t *testing.T) {
	for _, g := range readJSONL[golden](t, filepath.Join("testdata", "golden.jsonl")) {
		t.Run(g.ID, func(t *testing.T) {
			v := Default().Classify(Input{Title: g.Title, Text: g.Text})
			if v.Match != g.Want.Match {
				t.Errorf("match %v (score %.3f, terms %v), want %v", v.Match, v.Score, v.Terms, g.Want.Match)
			}
			for _, c := range g.Want.Categories {
				if !slices.Contains(v.Categories, c) {
					t.Errorf("categories %v, want %s among them", v.Categories, c)
				}
			}
			if g.Want.Regions != nil && !slices.Equal(v.Regions, g.Want.Regions) {
				t.Errorf("regions %v, want %v", v.Regions, g.Want.Regions)
			}
			if v.Match && (len(v.Categories) == 0 || len(v.Regions) == 0) {
				t.Errorf("a match needs a category and a region: %+v", v)
			}
		})
	}
}

// TestVerdictShape checks what every verdict promises: slices never nil
// (so JSON has []), a score in [0, 1], determinism.
func TestVerdictShape(t *testing.T) {
	for _, in := range []Input{{}, {Title: "质量"}, {Text: "<p>&amp;</p>"}, {Title: "抽检", Text: "抽检 抽检 不合格"}} {
		v := Default().Classify(in)
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, k := range []string{"categories", "regions", "terms"} {
			if m[k] == nil {
				t.Errorf("%+v: %s is null in %s", in, k, b)
			}
		}
		if v.Score < 0 || v.Score > 1 {
			t.Errorf("%+v: score %v", in, v.Score)
		}
		if again := Default().Classify(in); !slices.Equal(again.Regions, v.Regions) || again.Score != v.Score || len(again.Terms) != len(v.Terms) {
			t.Errorf("%+v: not deterministic", in)
		}
	}
}

func TestNewOptions(t *testing.T) {
	if _, err := New(Options{MinScore: 1.5}); err == nil {
		t.Error("MinScore 1.5: no error")
	}
	c, err := New(Options{MinScore: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Title: "市场监管局发布食品安全监督抽检信息", Text: "抽检食品样品100批次,不合格样品2批次。"}
	if !Default().Classify(in).Match || c.Classify(in).Match {
		t.Error("MinScore is not applied")
	}
}

// TestConcurrent runs Classify from several goroutines (go test -race).
func TestConcurrent(t *testing.T) {
	items := readJSONL[golden](t, filepath.Join("testdata", "golden.jsonl"))
	want := make([]Verdict, len(items))
	for i, g := range items {
		want[i] = Default().Classify(Input{Title: g.Title, Text: g.Text})
	}
	done := make(chan bool)
	for range 4 {
		go func() {
			defer func() { done <- true }()
			for range 20 {
				for i, g := range items {
					if v := Default().Classify(Input{Title: g.Title, Text: g.Text}); v.Score != want[i].Score {
						t.Errorf("%s: score %v, want %v", g.ID, v.Score, want[i].Score)
					}
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// FuzzClassify: any input gives a well-formed verdict without panicking.
func FuzzClassify(f *testing.F) {
	f.Add("质量月", "質(zhì)量強(qiáng)市 抽检 不合格\n相关新闻\n- a(2024-09-07)")
	f.Add("", "<p>召回</p>&#36074;\xff山东省青岛市")
	f.Fuzz(func(t *testing.T, title, text string) {
		v := Default().Classify(Input{Title: title, Text: text})
		if v.Score < 0 || v.Score > 1 || v.Categories == nil || v.Regions == nil || v.Terms == nil || len(v.Regions) == 0 {
			t.Fatalf("bad verdict %+v", v)
		}
		if v.Match && len(v.Categories) == 0 {
			t.Fatalf("match without a category: %+v", v)
		}
	})
}
