package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadGood(t *testing.T) {
	cfg, err := config.Load("testdata/conf.good.yml", env(map[string]string{
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/secret",
		"SMTP_PASSWORD":     "p$ss: {word}",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := cfg.Notifiers[0].WebhookURL; got != "https://hooks.slack.com/services/T/B/secret" {
		t.Errorf("webhook_url = %q", got)
	}
	if got := cfg.Notifiers[1].SMTP.Password; got != "p$ss: {word}" {
		t.Errorf("password with YAML syntax = %q, want it verbatim", got)
	}
	if got := cfg.Sources[0].Schedule; got != config.DefaultSchedule {
		t.Errorf("default schedule = %q", got)
	}
	if got := *cfg.NATS.Listen; got != config.DefaultNATSListen {
		t.Errorf("default nats.listen = %q", got)
	}
	if got := *cfg.HTTP.Listen; got != "" {
		t.Errorf("http.listen = %q, want explicit empty kept", got)
	}
	if got := cfg.Watch.FeedConnections; got != config.DefaultFeedConnections {
		t.Errorf("default watch.feed_connections = %d", got)
	}
	if !*cfg.Sources[1].Baseline {
		t.Error("baseline should default to true")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // every line must appear in the error
	}{
		{"conf.unknown-key.yml", []string{"sources[0].shedule: unknown key (line 4); known keys: name, type, url, schedule, timeout, baseline, select, detail, pages, page_param, allow_empty, allow_private, insecure_tls, charset"}},
		{"conf.unset-env.yml", []string{"notifiers[0].webhook_url: environment variable NO_SUCH_VAR_QW is not set"}},
		{"conf.wrong-kind.yml", []string{
			"sources: want a list, got a mapping (line 2)",
			`notifiers[0].timeout: "soon" is not a duration like "30s", "5m" or "7d" (line 6)`,
		}},
		{"conf.cron-tz-only.yml", []string{`sources[0].schedule: "CRON_TZ=UTC" is not a cron spec`}},
		{"conf.bad-values.yml", []string{
			`nats.listen: "nohostport" is not host:port`,
			`nats.retention.alerts: 48h0m0s is shorter than the 7 days for which the router remembers alerts`,
			`watch.feed_connections: 65 is not between 1 and 64`,
			`sources[0].name: "Weifang News" must be lower-case letters, digits and '-'`,
			`sources[0].url: "ftp://example.org" is not an http(s) URL`,
			`sources[1].schedule: "CRON_TZ=Asia/Shanghai every five minutes"`,
			`sources[2].name: "b" is already used by entry 1`,
			`notifiers[0].smtp.host: required for type email`,
			`notifiers[0].from: "not an address" is not an email address`,
			`notifiers[0].to: at least one address is required`,
			`notifiers[1].type: "telegram" is not one of console, slack, email, webhook, dingtalk, wecom, feishu`,
			`notifiers[2].smtp: not used by type webhook`,
			`notifiers[2].match.regions[0]: "weifnag" is not a region`,
			`notifiers[2].match.min_score: 2 is not between 0 and 1`,
		}},
	}
	tests = append(tests, struct {
		file string
		want []string
	}{"conf.bad-list-sources.yml", []string{
		`sources[0].select.item: "li[" is not a CSS selector`,
		`sources[0].select.link: ":nope(x)" is not a CSS selector`,
		`sources[0].select.items: only for type json`,
		`sources[0].detail.body: required`,
		`sources[1].select: only for list-page sources (type html or json)`,
		`sources[1].pages: only for list-page sources`,
		`sources[2].select.items: "data..list" is not a JSON path`,
		`sources[2].select.item: a CSS selector is only read from HTML`,
		`sources[2].select.title: required for a JSON list`,
		`sources[3].type: "xml" is not feed, html or json`,
		`sources[4].select: required for type html`,
		`sources[4].charset: "klingon" is not a charset`,
		`sources[4].pages: 51 is not between 1 and 50`,
	}})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := config.Load(filepath.Join("testdata", tt.file), env(nil))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q; got:\n%v", w, err)
				}
			}
		})
	}
}

func TestWrongKindOfValueNamesPath(t *testing.T) {
	_, err := config.Parse([]byte("notifiers:\n  - name: t\n    type: console\n    timeout: soon\n"), env(nil), ".")
	if err == nil || !strings.Contains(err.Error(), `"soon" is not a duration`) {
		t.Fatalf("err = %v, want a duration error", err)
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hook"), []byte("https://oapi.dingtalk.com/robot/send?access_token=abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := "notifiers:\n  - name: ding\n    type: dingtalk\n    webhook_url_file: hook\n"
	cfg, err := config.Parse([]byte(conf), env(nil), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Notifiers[0].WebhookURL; got != "https://oapi.dingtalk.com/robot/send?access_token=abc" {
		t.Errorf("webhook_url from file = %q", got)
	}
	_, err = config.Parse([]byte("notifiers:\n  - name: ding\n    type: dingtalk\n    webhook_url_file: missing\n"), env(nil), dir)
	if err == nil || !strings.Contains(err.Error(), "notifiers[0].webhook_url_file:") {
		t.Fatalf("missing secret file: err = %v", err)
	}
}

func TestErrorsNeverShowSecrets(t *testing.T) {
	conf := "notifiers:\n  - name: s\n    type: slack\n    webhook_url: \"hooks.slack.com/services/T/B/topsecret\"\n"
	_, err := config.Parse([]byte(conf), env(nil), ".")
	if err == nil {
		t.Fatal("want an error for a URL without scheme")
	}
	if strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("error shows the secret: %v", err)
	}
}

func TestParseSchedule(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	good := []string{"@every 5m", "*/5 * * * *", "0 */5 * * * *", "CRON_TZ=UTC 0 8 * * *", "@hourly"}
	for _, s := range good {
		if _, err := config.ParseSchedule(s, loc); err != nil {
			t.Errorf("ParseSchedule(%q): %v", s, err)
		}
	}
	bad := []string{"", "CRON_TZ=UTC", "* * *", "@every", "CRON_TZ=Nowhere/City 0 8 * * *"}
	for _, s := range bad {
		if _, err := config.ParseSchedule(s, loc); err == nil {
			t.Errorf("ParseSchedule(%q) succeeded", s)
		}
	}
	// A 5-field spec without CRON_TZ runs in the default zone: 08:00 Shanghai is 00:00 UTC.
	s, err := config.ParseSchedule("0 8 * * *", loc)
	if err != nil {
		t.Fatal(err)
	}
	next := s.Next(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next = %v, want %v", next.UTC(), want)
	}
}

func TestListSourceCompiledAtLoad(t *testing.T) {
	conf := `sources:
  - name: qd
    type: html
    url: "http://amr.qingdao.gov.cn/zwgk/tzgg/"
    select: {item: "ul.category-list li", date: "span"}
    detail: {body: "div.wenzhang div.content"}
    pages: 2
  - name: api
    type: json
    url: "https://example.org/api/list?page=1"
    page_param: page
    select: {items: "data.list", title: "title", link: "url"}
  - name: feed
    url: "https://example.org/rss.xml"
`
	cfg, err := config.Parse([]byte(conf), env(nil), ".")
	if err != nil {
		t.Fatal(err)
	}
	qd, api, feed := cfg.Sources[0], cfg.Sources[1], cfg.Sources[2]
	if qd.List == nil || qd.DetailSpec == nil || qd.Pages != 2 || qd.List.Title.String() != "a@title" {
		t.Errorf("html source not compiled with defaults: %+v", qd)
	}
	if api.List == nil || api.List.PageParam != "page" || api.Pages != 1 {
		t.Errorf("json source: %+v", api)
	}
	if feed.Type != config.SourceFeed || feed.List != nil {
		t.Errorf("feed source: %+v", feed)
	}
}

// TestNotifierConfigErrors loads one file per bad notifier or rhythm
// setting and asserts the whole error, path included.
func TestNotifierConfigErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"conf.bad-digest.yml", `notifiers[0].digest: "CRON_TZ=Asia/Shanghai 0 8 *": expected 5 to 6 fields, found 3: [0 8 *]`},
		{"conf.digest-never-fires.yml", `notifiers[0].digest: "0 0 30 2 *" never fires`},
		{"conf.digest-tz-only.yml", `notifiers[0].digest: "CRON_TZ=UTC" is not a cron spec: CRON_TZ=UTC without a schedule`},
		{"conf.digest-bad-zone.yml", `notifiers[0].digest: "CRON_TZ=Mars/Olympus 0 8 * * *": provided bad location Mars/Olympus: unknown time zone Mars/Olympus`},
		{"conf.bad-quiet-hours.yml", `notifiers[0].quiet_hours: "22:00-25:00": end: "25:00" is not a time of day`},
		{"conf.quiet-hours-empty.yml", `notifiers[0].quiet_hours: "07:00-07:00": the window must neither be empty nor span the whole day`},
		{"conf.bad-rate.yml", `notifiers[0].rate: "20/fortnight": unknown unit "fortnight" (want s, min, h or a duration)`},
		{"conf.rate-zero.yml", `notifiers[0].rate: "0/min": count must be a positive integer`},
		// A zone that does not load leaves the digest unchecked: one error.
		{"conf.bad-notifier-timezone.yml", `notifiers[0].timezone: "Mars/Olympus" is not a time zone: unknown time zone Mars/Olympus`},
		{"conf.bad-notifier-name.yml", `notifiers[0].name: "-team" must be lower-case letters, digits and '-', starting with a letter or digit`},
		{"conf.duplicate-notifier-name.yml", `notifiers[1].name: "team" is already used by entry 0`},
		{"conf.bad-retry.yml", "notifiers[0].retry.max_attempts: must not be negative\n" +
			"notifiers[0].retry: initial 10m0s is longer than max 1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := config.Load(path, env(nil))
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if got, want := err.Error(), path+": "+tt.want; got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// TestNotifierRhythmCompiledAtLoad: a six-field digest is valid (the
// dialect of source schedules), and the notifier's zone, digest, quiet hours
// and rate are compiled when the config loads.
func TestNotifierRhythmCompiledAtLoad(t *testing.T) {
	cfg, err := config.Load("testdata/conf.digest-six-fields.yml", env(nil))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	n := cfg.Notifiers[0]
	if n.Location == nil || n.Location.String() != config.DefaultTimezone {
		t.Fatalf("location %v, want %s", n.Location, config.DefaultTimezone)
	}
	// 08:00:00 in Shanghai is 00:00 UTC.
	from := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if got, want := n.DigestSchedule.Next(from), time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("digest next = %v, want %v", got.UTC(), want)
	}
	if got := n.DigestSchedule.String(); got != "0 0 8 * * *" {
		t.Errorf("digest spec %q", got)
	}
	// 23:00 in Shanghai is inside 22:00-07:00 for 8 hours.
	if got := n.QuietWindow.Remaining(time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC)); got != 8*time.Hour {
		t.Errorf("quiet hours remaining %s, want 8h", got)
	}
	if n.SendRate.N != 20 || n.SendRate.Per != time.Minute {
		t.Errorf("rate %+v, want 20/min", n.SendRate)
	}
	good, err := config.Load("testdata/conf.good.yml", env(map[string]string{"SLACK_WEBHOOK_URL": "https://hooks.slack.com/x", "SMTP_PASSWORD": "p"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := good.Notifiers[0]; !n.DigestSchedule.IsZero() || !n.QuietWindow.IsZero() || !n.SendRate.IsZero() {
		t.Errorf("a notifier without digest, quiet hours or rate: %+v", n)
	}
}
