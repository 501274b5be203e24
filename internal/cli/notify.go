package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/internal/app"
	"github.com/qualitywatch/qualitywatch/notifier"
)

// cmdNotify handles "notify test": one sample alert to one notifier, sent
// directly (not through NATS), with what the target answered.
func cmdNotify(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		return fmt.Errorf("%w: qualitywatch notify test --config FILE NAME", errUsage)
	}
	fs := newFlags(env, "notify test")
	var path string
	configFlag(fs, &path)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: name one notifier", errUsage)
	}
	cfg, err := loadConfig(env, path)
	if err != nil {
		return err
	}
	n, err := findNotifier(cfg, fs.Arg(0), env.Stdout)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := n.Channel.Notify(ctx, SampleAlert(time.Now())); err != nil {
		kind := "transient: it would be retried"
		if notifier.IsPermanent(err) {
			kind = "permanent: it would be dead-lettered"
		}
		return fmt.Errorf("notifier %s: %w (%s)", n.Name, err, kind)
	}
	_, err = fmt.Fprintf(env.Stdout, "notifier %s: the target accepted the sample alert (%s)\n", n.Name, time.Since(start).Round(time.Millisecond))
	return err
}

func findNotifier(cfg *config.Config, name string, stdout io.Writer) (app.Notifier, error) {
	for i, nc := range cfg.Notifiers {
		if nc.Name == name {
			return app.BuildNotifier(cfg, i, stdout)
		}
	}
	var names []string
	for _, nc := range cfg.Notifiers {
		names = append(names, nc.Name)
	}
	return app.Notifier{}, fmt.Errorf("%w: no notifier %q in the config (have %v)", errUsage, name, names)
}

// SampleAlert is the alert `notify test` sends.
func SampleAlert(now time.Time) alert.Alert {
	return alert.Alert{
		Schema:     alert.Schema,
		ID:         "qualitywatch-test-" + now.UTC().Format("20060102T150405Z"),
		Source:     "qualitywatch-test",
		Title:      "【测试】潍坊市市场监督管理局关于食品安全监督抽检信息的通告",
		Link:       "https://example.org/qualitywatch/test",
		Published:  now.UTC().Format(time.RFC3339),
		Detected:   now.UTC().Format(time.RFC3339),
		Summary:    "这是 qualitywatch 发送的测试消息：近期组织抽检食品样品120批次，其中不合格样品3批次。This is a test alert.",
		Score:      0.95,
		Categories: []string{"sampling"},
		Regions:    []string{"weifang"},
		Terms:      []alert.Term{{Term: "抽检", Category: "sampling", Count: 2}, {Term: "不合格", Category: "sampling", Count: 1}},
	}
}
