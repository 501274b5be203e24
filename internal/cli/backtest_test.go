package cli

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
)

// TestBacktest stores items on the items stream of a real embedded NATS,
// each with the verdict of the default classifier, as the daemon would, and
// replays them through a vocabulary that adds one term: exactly the item
// holding that term is listed as added, nothing as removed; with the
// default vocabulary itself nothing changes.
func TestBacktest(t *testing.T) {
	dir := t.TempDir()
	p := writeConfig(t, fmt.Sprintf("nats: {listen: \"\", store_dir: %q}\nhttp: {listen: \"\"}\n", filepath.Join(dir, "nats")))
	cfg, err := config.Load(p, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	def, err := app.NewClassifier(config.Classifier{})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := app.ConnectNATS(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	items := []struct{ id, source, title, text string }{
		{"a1", "weifang-news", "潍坊市市场监管局发布食品安全监督抽检信息", "共抽检食品样品300批次,其中不合格样品6批次。"},
		{"a2", "weifang-news", "潍坊举行马拉松比赛", "两万名选手参加。"},
		{"a3", "jinan-news", "警方捣毁一处地沟油加工窝点", "查获成品油两吨。"},
		{"a4", "jinan-news", "济南发布春季旅游线路", ""},
		{"a1", "weifang-news", "潍坊市市场监管局发布食品安全监督抽检信息", "stored twice, counted once"},
	}
	for _, it := range items {
		body, err := json.Marshal(alert.Item{Schema: alert.ItemSchema, ID: it.id, Source: it.source, Title: it.title,
			Text: it.text, Fetched: "2025-01-01T00:00:00Z", Verdict: def.Classify(it.title, it.text)})
		if err != nil {
			t.Fatal(err)
		}
		m := &nats.Msg{Subject: bus.ItemSubject(it.source), Data: body, Header: nats.Header{}}
		if _, err := conn.JS.PublishMsg(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	// Not an item: skipped, not counted.
	if _, err := conn.JS.Publish(t.Context(), bus.ItemSubject("jinan-news"), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	vocab := filepath.Join(dir, "candidate.yaml")
	if err := os.WriteFile(vocab, []byte("categories:\n  enforcement:\n    地沟油: 8\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out, _, err := runCmd(t, cmdBacktest, "", "--config", p, "--vocabulary", vocab, "--extend", "--json")
	if err != nil {
		t.Fatalf("backtest: %v", err)
	}
	var res backtestResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("want one JSON object, got %q (%v)", out, err)
	}
	if res.Items != 4 || len(res.Added) != 1 || len(res.Removed) != 0 {
		t.Fatalf("got %+v, want 4 items, 1 added, 0 removed", res)
	}
	if a := res.Added[0]; a.ID != "a3" || a.Source != "jinan-news" || a.Title != items[2].title || len(a.Terms) == 0 || a.Terms[0].Term != "地沟油" {
		t.Errorf("added %+v, want a3 decided by 地沟油", a)
	}

	// Replacing the vocabulary with that one term: the sampling notice is
	// no longer found; the human output says so.
	out, _, err = runCmd(t, cmdBacktest, "", "--config", p, "--vocabulary", vocab, "--since", "30d")
	if err != nil {
		t.Fatalf("backtest: %v", err)
	}
	for _, want := range []string{"replayed 4 items (items stored in the last 30d)", "alerts added: 1", "+ [jinan-news] 警方捣毁一处地沟油加工窝点",
		"alerts removed: 1", "- [weifang-news] 潍坊市市场监管局发布食品安全监督抽检信息", "terms: 地沟油×1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBacktestUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no vocabulary", []string{"--config", "x.yaml"}, "--vocabulary FILE is required"},
		{"bad since", []string{"--config", "x.yaml", "--vocabulary", "v.yaml", "--since", "soon"}, `--since: "soon": want a positive number of days`},
		{"no config", []string{"--vocabulary", "v.yaml"}, "--config FILE is required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runCmd(t, cmdBacktest, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
