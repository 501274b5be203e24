package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "set.jsonl")
	os.WriteFile(path, []byte(strings.Join([]string{
		`{"id":"p1","title":"市场监管总局发布产品质量国家监督抽查情况","text":"抽查产品1000批次,不合格产品发现率5%。","label":2}`,
		`{"id":"p2","title":"青岛节日市场食品安全监督抽检:53批次不合格","text":"","label":2}`,
		`{"id":"n1","title":"推动经济高质量发展","text":"全市上下推动高质量发展。","label":0}`,
		`{"id":"r1","title":"企业获得认证","text":"","label":1}`,
	}, "\n")), 0o644)
	out, _, err := runCmd(t, cmdEval, "", "-v", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"precision  1.000", "recall     1.000", "F1         1.000", "tp 2  fp 0  fn 0  tn 1", "1 label 1 not scored"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(t, cmdEval, "", "-v", "--min-score", "0.9999", path)
	if err != nil || !strings.Contains(out, "missed") || !strings.Contains(out, "p2") {
		t.Errorf("eval -v with a high threshold: %v\n%s", err, out)
	}
	// Titles alone: the first item's title holds 国家监督抽查, enough alone.
	out, _, err = runCmd(t, cmdEval, "", "--titles", path)
	if err != nil || !strings.Contains(out, "tp 2  fp 0  fn 0  tn 1") {
		t.Errorf("eval --titles: %v\n%s", err, out)
	}
	os.WriteFile(path, []byte(`{"id":"x","title":"t"}`+"\n"), 0o644)
	if _, _, err := runCmd(t, cmdEval, "", path); err == nil || !strings.Contains(err.Error(), "set.jsonl:1: item \"x\"") {
		t.Errorf("missing label: %v", err)
	}
	if _, _, err := runCmd(t, cmdEval, ""); !errors.Is(err, errUsage) {
		t.Errorf("no file: %v, want usage error", err)
	}
}

// TestEvalDevSet runs eval on the team's labelled set when present.
func TestEvalDevSet(t *testing.T) {
	dir := os.Getenv("QUALITYWATCH_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	path := filepath.Join(dir, "data", "dev.jsonl")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no dev set: %v", err)
	}
	out, _, err := runCmd(t, cmdEval, "", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", out)
}
