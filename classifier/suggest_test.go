package classifier

import "testing"

func TestSuggest(t *testing.T) {
	pos := NewNgramCounts()
	for _, s := range []string{
		"市场监管局发布电动自行车抽检结果,电动自行车合格率提升",
		"电动自行车专项抽检:5批次电动自行车不合格",
		"電動自行車質量抽檢通告",
	} {
		pos.Add(Input{Title: s})
	}
	bg := NewBackgroundCounts(pos)
	for _, s := range []string{
		"市场迎来开门红,股市上涨", "市场监管局召开党建会议", "自行车赛在泰山脚下举行",
		"篮球比赛结果揭晓", "新能源汽车销量增长", "市场监管局推进营商环境",
	} {
		bg.Add(Input{Title: s})
	}
	got := Suggest(pos, bg, DefaultVocabulary(), 5, 2, 0)
	if len(got) == 0 || got[0].Term != "电动自行车" {
		t.Fatalf("Suggest = %+v, want 电动自行车 first", got)
	}
	for _, s := range got {
		if s.Term == "电动自行" || s.Term == "动自行车" {
			t.Errorf("%s kept although 电动自行车 covers it", s.Term)
		}
		if s.Term == "抽检" && s.Known != "sampling" {
			t.Errorf("抽检 not marked as known: %+v", s)
		}
	}
}
