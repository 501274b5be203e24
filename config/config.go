// Package config reads qualitywatch's YAML configuration.
//
// Loading happens in four steps, each reporting every problem it finds with
// the path of the entry at fault (`sources[2].schedule: ...`):
//
//  1. parse the YAML and reject unknown keys and wrong kinds of value;
//  2. expand `${VAR}` from the environment in string values (after parsing,
//     so a secret containing YAML syntax cannot change the document);
//  3. read `*_file` secrets;
//  4. apply defaults and validate values.
//
// Validation also compiles what the runtime would otherwise parse again: a
// list source's select and detail blocks (listpage), a notifier's zone,
// digest schedule, quiet hours and rate (rhythm, the one dialect of cron
// specs, windows and rates). The compiled values sit beside the text they
// come from in fields the YAML never sets (`yaml:"-"`), and are passed on as
// values. Checks that need a channel's own package (templates, SMTP) are
// made by the code that builds the channel, with the same path style.
package config

import (
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/qualitywatch/qualitywatch/listpage"
	"github.com/qualitywatch/qualitywatch/rhythm"
)

// Config is the whole configuration file.
type Config struct {
	NATS       NATS       `yaml:"nats"`
	HTTP       HTTP       `yaml:"http"`
	Classifier Classifier `yaml:"classifier"`
	Watch      Watch      `yaml:"watch"`
	Sources    []Source   `yaml:"sources"`
	Notifiers  []Notifier `yaml:"notifiers"`
}

// NATS says which server to use: embedded when URL is empty.
type NATS struct {
	URL      string  `yaml:"url"`
	Listen   *string `yaml:"listen"` // nil: 127.0.0.1:4222; "": in-process only
	StoreDir string  `yaml:"store_dir"`
	// Credentials for an external server.
	CredsFile    string `yaml:"creds_file"`
	Token        string `yaml:"token" secret:"true"`
	TokenFile    string `yaml:"token_file"`
	User         string `yaml:"user"`
	Password     string `yaml:"password" secret:"true"`
	PasswordFile string `yaml:"password_file"`
	// Replicas for streams and buckets on a clustered server (default 1).
	Replicas  int       `yaml:"replicas"`
	Retention Retention `yaml:"retention"`
	// Instance names this process among the replicas sharing the sources;
	// unique per process. Empty: DefaultInstance, chosen at start.
	Instance string `yaml:"instance"`
}

// DefaultInstance is the host name with a random suffix (host-3f9a):
// readable in logs, and distinct even for replicas sharing a host name.
func DefaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "qualitywatch"
	}
	host = strings.Trim(instanceUnsafe.ReplaceAllString(host, "-"), "-")
	if len(host) > 40 {
		host = host[:40]
	}
	return fmt.Sprintf("%s-%04x", host, rand.N(1<<16))
}

var (
	instanceRE     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	instanceUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)
)

// MinAlertsRetention is the shortest retention of the alerts stream: the
// router's repost index is kept on it for this long (bus.RepostWindow).
const MinAlertsRetention = 7 * 24 * time.Hour

// Retention says how long streams keep messages.
type Retention struct {
	Items      Duration `yaml:"items"`
	Alerts     Duration `yaml:"alerts"`
	DeadLetter Duration `yaml:"deadletter"`
}

// HTTP is the operations endpoint: /metrics, /healthz, /readyz.
type HTTP struct {
	Listen *string `yaml:"listen"` // nil: 127.0.0.1:9090; "": disabled
	// Token allows the status page's actions (replay or drop a dead
	// letter) to requests bearing it; without one the page is read-only.
	Token     string `yaml:"token" secret:"true"`
	TokenFile string `yaml:"token_file"`
}

// Classifier selects the vocabulary and threshold.
type Classifier struct {
	Vocabulary string   `yaml:"vocabulary"` // a vocabulary file; "" = the embedded one
	Extend     bool     `yaml:"extend"`     // the file extends the embedded vocabulary instead of replacing it
	MinScore   *float64 `yaml:"min_score"`  // nil = the classifier's default
}

// Watch holds defaults for every source.
type Watch struct {
	Schedule  string   `yaml:"schedule"`  // default cron spec
	Timezone  string   `yaml:"timezone"`  // default zone for specs without CRON_TZ
	Timeout   Duration `yaml:"timeout"`   // per fetch
	MaxBytes  int64    `yaml:"max_bytes"` // body size cap
	UserAgent string   `yaml:"user_agent"`
	// Jitter is the most a poll is delayed at random; nil: a tenth of the
	// source's interval, at most 30s; 0: none.
	Jitter *Duration `yaml:"jitter"`
	// HostDelay is the pause between two requests to one host by list-page
	// sources (html, json) and their detail pages, which also make at most
	// one request at a time per host; nil: DefaultHostDelay.
	HostDelay *Duration `yaml:"host_delay"`
	// FailureThreshold is how many failed polls in a row make a source
	// failing (or layout, or blocked); 0: 3.
	FailureThreshold int `yaml:"failure_threshold"`
	// FeedConnections is how many requests feeds make at a time to one
	// host, on connections kept open between polls; 0:
	// DefaultFeedConnections.
	FeedConnections int `yaml:"feed_connections"`
}

// Source is one feed or list page to watch.
type Source struct {
	Name string `yaml:"name"`
	// Type says how the source is read: feed (RSS, Atom, RDF, JSON Feed;
	// the default), html (a list page read with CSS selectors) or json (a
	// JSON endpoint).
	Type     string   `yaml:"type"`
	URL      string   `yaml:"url"`
	Schedule string   `yaml:"schedule"`
	Timeout  Duration `yaml:"timeout"`
	// Baseline records what the feed holds at first sight as seen without
	// alerting (default true).
	Baseline *bool `yaml:"baseline"`

	// For html and json sources.
	Select *listpage.Select       `yaml:"select"`
	Detail *listpage.DetailSelect `yaml:"detail"`
	// Pages is how many list pages are read per poll (default 1).
	Pages int `yaml:"pages"`
	// PageParam is the query parameter holding a JSON list's page number.
	PageParam string `yaml:"page_param"`
	// AllowEmpty accepts a list page that yields no entry; by default it
	// is a layout error.
	AllowEmpty bool `yaml:"allow_empty"`
	// AllowPrivate lets links found in pages lead to loopback, private and
	// link-local addresses; by default only the source's own host name and
	// public addresses are fetched.
	AllowPrivate bool `yaml:"allow_private"`
	// InsecureTLS accepts any certificate (expired, self-signed).
	InsecureTLS bool `yaml:"insecure_tls"`
	// Charset overrides the page's declared charset (gbk, big5, utf-8).
	Charset string `yaml:"charset"`

	// List and DetailSpec are the select and detail blocks compiled by
	// Validate (nil for feeds).
	List       *listpage.Spec       `yaml:"-"`
	DetailSpec *listpage.DetailSpec `yaml:"-"`
}

// Source types.
const (
	SourceFeed = "feed"
	SourceHTML = listpage.KindHTML
	SourceJSON = listpage.KindJSON
)

// MaxPages bounds a source's pages.
const MaxPages = 50

// Notifier is one delivery target with its routing and rhythm.
type Notifier struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`

	WebhookURL     string `yaml:"webhook_url" secret:"true"`
	WebhookURLFile string `yaml:"webhook_url_file"`
	URL            string `yaml:"url" secret:"true"`
	URLFile        string `yaml:"url_file"`
	Secret         string `yaml:"secret" secret:"true"`
	SecretFile     string `yaml:"secret_file"`

	SMTP *SMTP    `yaml:"smtp"`
	From string   `yaml:"from"`
	To   []string `yaml:"to"`

	Match   *Filter `yaml:"match"`
	Exclude *Filter `yaml:"exclude"`

	// Digest is a cron spec ("0 8 * * *"); "" delivers each alert at once.
	Digest string `yaml:"digest"`
	// QuietHours is "HH:MM-HH:MM" in Timezone; "" is none.
	QuietHours string `yaml:"quiet_hours"`
	// Timezone is the zone of QuietHours, of a Digest without CRON_TZ and
	// of the times messages show (default Asia/Shanghai).
	Timezone string `yaml:"timezone"`
	// Rate is "20/min", "1/s", "100/h"; "" is unlimited.
	Rate     string   `yaml:"rate"`
	Template string   `yaml:"template"`
	Locale   string   `yaml:"locale"`
	Timeout  Duration `yaml:"timeout"`
	Retry    Retry    `yaml:"retry"`
	// Events says what the notifier receives: alerts (the default),
	// health (sources' changes of state), or both.
	Events []string `yaml:"events"`

	// Compiled by Validate from Timezone, Digest, QuietHours and Rate; each
	// zero value means "not set" (no digest, no quiet hours, unlimited).
	Location       *time.Location  `yaml:"-"`
	DigestSchedule rhythm.Schedule `yaml:"-"`
	QuietWindow    rhythm.Window   `yaml:"-"`
	SendRate       rhythm.Rate     `yaml:"-"`
}

// SMTP is an email notifier's server.
type SMTP struct {
	Host         string `yaml:"host"`
	Port         int    `yaml:"port"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password" secret:"true"`
	PasswordFile string `yaml:"password_file"`
	StartTLS     *bool  `yaml:"starttls"` // true: required; false: never; unset: when offered
	TLS          bool   `yaml:"tls"`      // implicit TLS (port 465)
	HELO         string `yaml:"helo"`
}

// Filter selects alerts; an empty field does not constrain.
type Filter struct {
	Regions    []string `yaml:"regions"`
	Categories []string `yaml:"categories"`
	Terms      []string `yaml:"terms"`
	Sources    []string `yaml:"sources"`
	MinScore   float64  `yaml:"min_score"`
}

// Retry bounds delivery retries before an alert is dead-lettered.
type Retry struct {
	MaxAttempts int      `yaml:"max_attempts"`
	Initial     Duration `yaml:"initial"`
	Max         Duration `yaml:"max"`
}

// Duration is a time.Duration written as "30s", "5m", "1h30m" or "7d".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string, with "d" for days.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("want a duration like \"30s\" or \"5m\"")
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// ParseDuration parses a Go duration, also accepting a whole number of days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	var days int
	if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like \"30s\", \"5m\" or \"7d\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return v, nil
}

// MaxFetchTimeout is the longest fetch timeout of any source: the HTTP
// client's own bound, under which each source's timeout applies.
func (c *Config) MaxFetchTimeout() time.Duration {
	longest := time.Duration(c.Watch.Timeout)
	for _, s := range c.Sources {
		longest = max(longest, time.Duration(s.Timeout))
	}
	return longest
}
