package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// runCmd runs one command with buffers for its streams.
func runCmd(t *testing.T, cmd func(context.Context, *Env, []string) error, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	err := cmd(t.Context(), env, args)
	return out.String(), errOut.String(), err
}

const sampleAnnouncement = "潍坊市市场监管局发布食品安全监督抽检信息\n" +
	"近日,潍坊市市场监督管理局组织开展食品安全监督抽检,共抽检食品样品300批次,其中不合格样品6批次。" +
	"不合格产品涉及寿光、青州等地企业,市场监管部门已依法查处。"

func TestClassifyText(t *testing.T) {
	out, _, err := runCmd(t, cmdClassify, sampleAnnouncement)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MATCH", "categories: sampling", "regions:    weifang", "抽检"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestClassifyJSONFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	b := filepath.Join(dir, "b.txt")
	os.WriteFile(a, []byte(sampleAnnouncement), 0o644)
	os.WriteFile(b, []byte("推动经济高质量发展\n全市上下推动高质量发展,经济质量效益不断提升。"), 0o644)
	out, _, err := runCmd(t, cmdClassify, "", "--json", a, b)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got:\n%s", out)
	}
	var v1, v2 map[string]any
	json.Unmarshal([]byte(lines[0]), &v1)
	json.Unmarshal([]byte(lines[1]), &v2)
	if v1["match"] != true || v2["match"] != false {
		t.Errorf("matches: %v %v", v1["match"], v2["match"])
	}
	for _, key := range []string{"match", "score", "categories", "regions", "terms"} {
		if _, ok := v2[key]; !ok {
			t.Errorf("no %q in %s", key, lines[1])
		}
	}
	if !strings.Contains(lines[1], `"categories":[]`) {
		t.Errorf("empty categories not encoded as []: %s", lines[1])
	}
}

func TestClassifyJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","title":"潍坊市市场监管局发布食品安全监督抽检信息","text":"抽检食品样品300批次,其中不合格样品6批次。"}`,
		``,
		`{"id":7,"title":"体育新闻","text":"比赛结果揭晓"}`,
		`not json`,
		`{"id":"c","title":"山东省2020年“质量月”启动","text":"9月2日,山东省2020年“质量月”启动仪式在青岛召开。"}`,
	}, "\n")
	for _, workers := range []string{"1", "3"} {
		t.Run("workers="+workers, func(t *testing.T) {
			out, _, err := runCmd(t, cmdClassify, in, "--jsonl", "--workers", workers)
			if !errors.Is(err, errBadLines) {
				t.Errorf("error %v, want errBadLines", err)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 4 {
				t.Fatalf("want 4 lines, got %d:\n%s", len(lines), out)
			}
			want := []struct {
				prefix string
				match  any
			}{{`{"id":"a",`, true}, {`{"id":7,`, false}, {`{"id":null,"line":4,"error":`, nil}, {`{"id":"c",`, true}}
			for i, w := range want {
				if !strings.HasPrefix(lines[i], w.prefix) {
					t.Errorf("line %d = %s, want prefix %s", i, lines[i], w.prefix)
				}
				var v map[string]any
				json.Unmarshal([]byte(lines[i]), &v)
				if w.match != nil && v["match"] != w.match {
					t.Errorf("line %d match = %v, want %v", i, v["match"], w.match)
				}
			}
		})
	}
}

func TestClassifyFlags(t *testing.T) {
	dir := t.TempDir()
	vocab := filepath.Join(dir, "v.yaml")
	os.WriteFile(vocab, []byte("categories:\n  brand:\n    泰好品: 9\n"), 0o644)
	out, _, err := runCmd(t, cmdClassify, "泰好品发布\n首批泰好品", "--vocabulary", vocab, "--json")
	if err != nil || !strings.Contains(out, `"match":true`) {
		t.Errorf("replacing vocabulary: %v %s", err, out)
	}
	out, _, err = runCmd(t, cmdClassify, sampleAnnouncement, "--vocabulary", vocab, "--json")
	if err != nil || !strings.Contains(out, `"match":false`) {
		t.Errorf("replaced vocabulary still knows 抽检: %v %s", err, out)
	}
	out, _, err = runCmd(t, cmdClassify, sampleAnnouncement, "--vocabulary", vocab, "--extend", "--json")
	if err != nil || !strings.Contains(out, `"match":true`) {
		t.Errorf("extended vocabulary: %v %s", err, out)
	}
	out, _, err = runCmd(t, cmdClassify, sampleAnnouncement, "--min-score", "0.9999", "--json")
	if err != nil || !strings.Contains(out, `"match":false`) {
		t.Errorf("--min-score: %v %s", err, out)
	}
	if _, _, err := runCmd(t, cmdClassify, "", "--min-score", "2"); !errors.Is(err, errUsage) {
		t.Errorf("--min-score 2: %v, want usage error", err)
	}
	if _, _, err := runCmd(t, cmdClassify, "", "--extend"); !errors.Is(err, errUsage) {
		t.Errorf("--extend alone: %v, want usage error", err)
	}
	if _, _, err := runCmd(t, cmdClassify, "", filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("missing file: no error")
	}
}

// TestClassifyJSONLStreams: each answer comes out while the input is still
// open, so classify --jsonl can sit in a pipeline.
func TestClassifyJSONLStreams(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- classifyJSONL(t.Context(), classifier.Default(), inR, outW, 2)
		outW.Close()
	}()
	out := bufio.NewReader(outR)
	for i := range 3 {
		fmt.Fprintf(inW, `{"id":%d,"title":"质量月活动启动","text":""}`+"\n", i)
		line, err := out.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, fmt.Sprintf(`{"id":%d,`, i)) {
			t.Fatalf("answer %d: %q, %v", i, line, err)
		}
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
