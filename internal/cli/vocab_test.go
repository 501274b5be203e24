package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVocabPrint(t *testing.T) {
	out, _, err := runCmd(t, cmdVocab, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"categories:", "  sampling:", "    抽检: ", "context:", "  - 高质量发展"} {
		if !strings.Contains(out, want) {
			t.Errorf("vocab output lacks %q", want)
		}
	}
	dir := t.TempDir()
	user := filepath.Join(dir, "v.yaml")
	os.WriteFile(user, []byte("categories:\n  brand:\n    泰好品: 6\n"), 0o644)
	out, _, err = runCmd(t, cmdVocab, "", "--vocabulary", user)
	if err != nil || !strings.Contains(out, "泰好品: 6") || strings.Contains(out, "抽检") {
		t.Errorf("replaced vocabulary: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, cmdVocab, "", "--vocabulary", user, "--extend")
	if err != nil || !strings.Contains(out, "泰好品: 6") || !strings.Contains(out, "抽检") {
		t.Errorf("extended vocabulary: %v", err)
	}
	os.WriteFile(user, []byte("categories:\n  brand:\n    泰好品: lots\n"), 0o644)
	if _, _, err := runCmd(t, cmdVocab, "", "--vocabulary", user); err == nil || !strings.Contains(err.Error(), "v.yaml:3: categories.brand.泰好品") {
		t.Errorf("bad vocabulary error: %v", err)
	}
}

func TestVocabSuggest(t *testing.T) {
	dir := t.TempDir()
	var positives []string
	for i, s := range []string{
		"电动自行车抽检结果发布\n市场监管局抽检电动自行车20批次,电动自行车合格率95%。",
		"电动自行车专项整治\n开展电动自行车质量专项整治,查处不合格电动自行车。",
		"電動自行車質量抽檢\n抽檢電動自行車。",
	} {
		p := filepath.Join(dir, "p"+string(rune('0'+i))+".txt")
		os.WriteFile(p, []byte(s), 0o644)
		positives = append(positives, p)
	}
	bg := filepath.Join(dir, "bg.jsonl")
	os.WriteFile(bg, []byte(strings.Join([]string{
		`{"title":"股市上涨","text":"市场迎来开门红"}`,
		`{"title":"自行车赛开赛","text":"自行车赛在泰山脚下举行"}`,
		`{"title":"篮球","text":"比赛结果揭晓"}`,
		`{"title":"营商环境","text":"市场监管局推进营商环境"}`,
	}, "\n")), 0o644)
	out, _, err := runCmd(t, cmdVocab, "", "suggest", "--positive", positives[0], "--background", bg, "--min-z", "0", positives[1], positives[2])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "3 positive and 4 background documents") || !strings.Contains(out, "电动自行车") {
		t.Errorf("suggest output:\n%s", out)
	}
	if _, _, err := runCmd(t, cmdVocab, "", "suggest", "--background", bg); !errors.Is(err, errUsage) {
		t.Errorf("no positives: %v, want usage error", err)
	}
	os.WriteFile(bg, []byte("{\"title\":\"ok\"}\n{broken\n"), 0o644)
	if _, _, err := runCmd(t, cmdVocab, "", "suggest", "--positive", positives[0], "--background", bg); err == nil || !strings.Contains(err.Error(), "bg.jsonl:2:") {
		t.Errorf("bad background error: %v", err)
	}
}
