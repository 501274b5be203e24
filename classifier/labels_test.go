package classifier

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// This file measures the classifier on the labelled sets: dev.jsonl (texts
// and labels in ../shared) and the labelled pool candidates (labels in
// testdata/labels/pool-labels.jsonl, texts in ../shared/data/pool.jsonl and
// ../shared/seeds), each in full, on titles alone and, for dev.jsonl, in
// traditional characters with Taiwan wording. The targets asserted are the
// figures reached, rounded down; classifier/README.md publishes them.

// poolLabel is one line of testdata/labels/pool-labels.jsonl: an id of
// ../shared/data/pool.jsonl (or seed-<file> for ../shared/seeds/<file>.txt),
// its merged label and why it was picked as a candidate.
type poolLabel struct {
	ID    string `json:"id"`
	Label int    `json:"label"`
	Why   string `json:"why"`
}

// Why a candidate was picked (testdata/labels/README.md).
var candidateReasons = []string{"flagged", "hard_neg_wording", "near_miss", "random", "regulator_wording"}

// isHardNegative reports a label-0 item picked for wording that looks like
// a quality announcement's.
func isHardNegative(l poolLabel) bool {
	return l.Label == LabelMustNot && (l.Why == "hard_neg_wording" || l.Why == "near_miss" || l.Why == "regulator_wording")
}

// heldOut reports whether an item of the labelled pool belongs to the part
// never tuned on: fnv-1a 32 of the id, mod 5, is 3 or 4 (40%).
func heldOut(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%5 >= 3
}

// TestPoolLabelsFile checks the labels file itself; it needs no shared data.
func TestPoolLabelsFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "labels", "pool-labels.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), `"title"`) || strings.Contains(string(data), `"text"`) {
		t.Error("pool-labels.jsonl must hold ids and labels only, no texts")
	}
	labels := readJSONL[poolLabel](t, filepath.Join("testdata", "labels", "pool-labels.jsonl"))
	seen := map[string]bool{}
	var counts [3]int
	held := 0
	for _, l := range labels {
		if l.ID == "" || seen[l.ID] {
			t.Errorf("id %q: empty or repeated", l.ID)
		}
		seen[l.ID] = true
		if l.Label < 0 || l.Label > 2 {
			t.Errorf("%s: label %d", l.ID, l.Label)
			continue
		}
		if !slices.Contains(candidateReasons, l.Why) {
			t.Errorf("%s: why %q, want one of %v", l.ID, l.Why, candidateReasons)
		}
		counts[l.Label]++
		if heldOut(l.ID) {
			held++
		}
	}
	t.Logf("%d items: %d label 2, %d label 1, %d label 0; %d held out", len(labels), counts[2], counts[1], counts[0], held)
	if len(labels) != 1700 || held < 600 || held > 760 {
		t.Errorf("%d items, %d held out: want 1700 and about 40%%", len(labels), held)
	}
}

// labelledItem is a labelled item with its text.
type labelledItem struct {
	poolLabel
	Title, Text string
}

// labelledPool joins the labels with their texts from ../shared; it skips
// when the shared data is absent.
func labelledPool(t testing.TB) []labelledItem {
	t.Helper()
	dir := sharedDir(t)
	labels := readJSONL[poolLabel](t, filepath.Join("testdata", "labels", "pool-labels.jsonl"))
	texts := map[string]poolItem{}
	for _, it := range readJSONL[poolItem](t, filepath.Join(dir, "data", "pool.jsonl")) {
		texts[it.ID] = it
	}
	out := make([]labelledItem, 0, len(labels))
	for _, l := range labels {
		it := labelledItem{poolLabel: l}
		if file, ok := strings.CutPrefix(l.ID, "seed-"); ok {
			data, err := os.ReadFile(filepath.Join(dir, "seeds", file+".txt"))
			if err != nil {
				t.Skipf("seed: %v", err)
			}
			it.Title, it.Text, _ = strings.Cut(string(data), "\n")
		} else {
			p, ok := texts[l.ID]
			if !ok {
				t.Fatalf("%s: not in pool.jsonl", l.ID)
			}
			it.Title, it.Text = p.Title, p.Text
		}
		out = append(out, it)
	}
	return out
}

// measure is a confusion matrix over labelled items and the false-positive
// rate on hard negatives.
type measure struct {
	Confusion
	hardFP, hard int
}

func (m *measure) add(l poolLabel, match bool) {
	m.Add(l.Label, match)
	if isHardNegative(l) {
		m.hard++
		if match {
			m.hardFP++
		}
	}
}

func (m measure) hardFPR() float64 {
	if m.hard == 0 {
		return 0
	}
	return float64(m.hardFP) / float64(m.hard)
}

func (m measure) String() string {
	return fmt.Sprintf("%s, hard-negative FPR %.3f (%d/%d)", fmtConfusion(m.Confusion), m.hardFPR(), m.hardFP, m.hard)
}

// TestLabelledPool measures the classifier on the labelled pool candidates,
// the tuning part and the held-out part apart, in full and on titles alone.
func TestLabelledPool(t *testing.T) {
	items := labelledPool(t)
	c := Default()
	var tune, held, tuneTitles, heldTitles measure
	for _, it := range items {
		full := c.Classify(Input{Title: it.Title, Text: it.Text})
		titleOnly := c.Classify(Input{Title: it.Title})
		if heldOut(it.ID) {
			held.add(it.poolLabel, full.Match)
			heldTitles.add(it.poolLabel, titleOnly.Match)
			continue // never looked at: no listing of its mistakes
		}
		tune.add(it.poolLabel, full.Match)
		tuneTitles.add(it.poolLabel, titleOnly.Match)
		if testing.Verbose() {
			for _, r := range []struct {
				kind string
				v    Verdict
			}{{"full", full}, {"title", titleOnly}} {
				if it.Label == LabelMustFind && !r.v.Match || it.Label == LabelMustNot && r.v.Match {
					t.Logf("wrong (%s): %s label=%d why=%s score=%.3f %q terms=%v", r.kind, it.ID, it.Label, it.Why, r.v.Score, it.Title, r.v.Terms)
				}
			}
		}
	}
	t.Logf("tuning   full   %v", tune)
	t.Logf("tuning   titles %v", tuneTitles)
	t.Logf("held out full   %v", held)
	t.Logf("held out titles %v", heldTitles)
	// The targets reached (see classifier/README.md): no false alarm, hard
	// negatives included, in either part; recall as measured. The held-out
	// part holds only 2 items that must match, so its recall says little.
	for _, r := range []struct {
		name      string
		m         measure
		minRecall float64
	}{
		{"held out, full text", held, 0.5},
		{"held out, titles", heldTitles, 0.5},
		{"tuning, full text", tune, 0.85},
		{"tuning, titles", tuneTitles, 0.7},
	} {
		if r.m.Precision() < 1 || r.m.hardFPR() > 0 || r.m.Recall() < r.minRecall {
			t.Errorf("%s: %v; want precision 1, hard-negative FPR 0, recall >= %v", r.name, r.m, r.minRecall)
		}
	}
}

// TestDevTitles measures dev.jsonl on titles alone (the text dropped), what
// a list-page source without detail pages gives.
func TestDevTitles(t *testing.T) {
	items := readJSONL[labelled](t, filepath.Join(sharedDir(t), "data", "dev.jsonl"))
	c := Default()
	var m Confusion
	for _, it := range items {
		v := c.Classify(Input{Title: it.Title})
		m.Add(it.Label, v.Match)
		wrong := it.Label == LabelMustFind && !v.Match || it.Label == LabelMustNot && v.Match
		if wrong && testing.Verbose() {
			t.Logf("wrong: %s label=%d score=%.3f %q terms=%v", it.ID, it.Label, v.Score, it.Title, v.Terms)
		}
	}
	t.Logf("dev titles: %s", fmtConfusion(m))
	if m.Precision() < 1 || m.Recall() < 0.9 {
		t.Errorf("dev titles: %s; want precision 1, recall >= 0.9", fmtConfusion(m))
	}
}

// TestDevTraditional measures dev.jsonl converted to traditional
// characters, first character by character with the inverse of the
// classifier's table, then also with Taiwan's wording (品質 for 质量,
// 資訊 for 信息 ...), in full and on titles alone.
func TestDevTraditional(t *testing.T) {
	items := readJSONL[labelled](t, filepath.Join(sharedDir(t), "data", "dev.jsonl"))
	c := Default()
	s2t := simplifiedToTraditional()
	for _, tt := range []struct {
		name         string
		taiwan       bool
		titles       bool
		minPrecision float64
		minRecall    float64
	}{
		{"characters", false, false, 1, 0.988},
		{"taiwan", true, false, 1, 0.988},
		{"taiwan titles", true, true, 1, 0.9},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m Confusion
			for _, it := range items {
				title, text := it.Title, it.Text
				if tt.taiwan {
					title, text = taiwanWording.Replace(title), taiwanWording.Replace(text)
				}
				if tt.titles {
					text = ""
				}
				in := Input{Title: toTraditional(s2t, title), Text: toTraditional(s2t, text)}
				v := c.Classify(in)
				m.Add(it.Label, v.Match)
				wrong := it.Label == LabelMustFind && !v.Match || it.Label == LabelMustNot && v.Match
				if wrong && testing.Verbose() {
					t.Logf("wrong: %s label=%d score=%.3f %q terms=%v", it.ID, it.Label, v.Score, in.Title, v.Terms)
				}
			}
			t.Logf("dev %s: %s", tt.name, fmtConfusion(m))
			if m.Precision() < tt.minPrecision || m.Recall() < tt.minRecall {
				t.Errorf("dev %s: %s; want precision >= %v, recall >= %v", tt.name, fmtConfusion(m), tt.minPrecision, tt.minRecall)
			}
		})
	}
}

// taiwanWording rewrites mainland wording the way a Taiwan text says it
// (applied to simplified text before the character conversion).
var taiwanWording = strings.NewReplacer(
	"质量", "品质", "信息", "资讯", "网络", "网路", "软件", "软体", "视频", "影片",
	"数据", "资料", "打印", "列印", "激光", "雷射", "出租车", "计程车", "服务器", "伺服器",
	"抽检", "抽验", "互联网", "网际网路", "程序", "程式",
)

// simplifiedToTraditional inverts data/t2s.txt, the way Taiwan writes: for
// a character with several traditional forms, Taiwan's usual one
// (taiwanForms), else the table's only one, except for the characters that
// are their own traditional form and that the table maps a rare variant to
// (家 is 家, not 傢).
func simplifiedToTraditional() map[rune]rune {
	inv := map[rune]rune{}
	sources := map[rune]int{}
	for line := range strings.Lines(t2sData) {
		src, dst, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		s, _ := utf8.DecodeRuneInString(src)
		d, _ := utf8.DecodeRuneInString(dst)
		inv[d] = s
		sources[d]++
	}
	for d, n := range sources {
		if n > 1 {
			delete(inv, d) // ambiguous: only taiwanForms decides
		}
	}
	for _, r := range selfTraditional {
		delete(inv, r)
	}
	forms := []rune(taiwanForms)
	for i := 0; i+1 < len(forms); i += 2 {
		inv[forms[i]] = forms[i+1]
	}
	return inv
}

// taiwanForms pairs a simplified character with Taiwan's usual traditional
// form where the table knows several.
const taiwanForms = "发發台臺为為产產个個并並说說证證里裡奖獎线線获獲参參卫衛众眾药藥烟煙团團复復历歷" +
	"净淨启啟签簽尽盡绿綠宁寧坛壇绝絕针針汇匯馆館干幹须須录錄冲衝画畫摆擺钟鐘闲閒岁歲" +
	"鸡雞恶惡阅閱伪偽锐銳迹跡墙牆鉴鑑壳殼毁毀叹嘆镇鎮术術当當别別采採"

// selfTraditional are characters that are also their own traditional form,
// which the table maps a rare variant to.
const selfTraditional = "家合出同局查表回教布只板注周玩核才致即占修污群真旗克松私折彩千念秋巨托累席冬梁搜卷困志峰秘制征"

func toTraditional(s2t map[rune]rune, s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if tr, ok := s2t[r]; ok {
			r = tr
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fmtConfusion(c Confusion) string {
	return fmt.Sprintf("precision %.3f recall %.3f (tp %d fp %d fn %d tn %d, %d unscored)",
		c.Precision(), c.Recall(), c.TP, c.FP, c.FN, c.TN, c.Unscored)
}
