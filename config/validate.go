package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/qualitywatch/qualitywatch/internal/httprule"

	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/rhythm"

	"github.com/qualitywatch/qualitywatch/classifier/region"
)

// Defaults applied when the config leaves a value out.
const (
	DefaultNATSListen       = "127.0.0.1:4222"
	DefaultStoreDir         = "./data/nats"
	DefaultHTTPListen       = "127.0.0.1:9090"
	DefaultSchedule         = "@every 10m"
	DefaultTimezone         = "Asia/Shanghai"
	DefaultFetchTimout      = 30 * time.Second
	DefaultMaxBytes         = 10 << 20
	MaxAutoJitter           = 30 * time.Second
	DefaultSendTimeout      = 15 * time.Second
	DefaultHostDelay        = 500 * time.Millisecond
	DefaultFailureThreshold = 3
	DefaultFeedConnections  = 16
	MaxFeedConnections      = 64
)

// What a notifier can receive (notifiers[].events).
const (
	EventAlerts  = "alerts"
	EventHealth  = "health"
	EventReposts = "reposts" // follow-ups: a notice alerted already, published again elsewhere
)

// Wants reports whether the notifier receives the kind of event.
func (n *Notifier) Wants(event string) bool { return slices.Contains(n.Events, event) }

// notifierTypes are the channels a notifier can use.
var notifierTypes = []string{"console", "slack", "email", "webhook", "dingtalk", "wecom", "feishu"}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// ParseSchedule parses a source's cron spec in the given default zone: the
// dialect is rhythm's (see rhythm.ParseSchedule), the one every schedule
// and digest is read in. It never panics.
func ParseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := rhythm.ParseSchedule(spec, loc)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (c *Config) applyDefaults() {
	if c.NATS.Listen == nil {
		l := DefaultNATSListen
		c.NATS.Listen = &l
	}
	if c.NATS.URL == "" && c.NATS.StoreDir == "" {
		c.NATS.StoreDir = DefaultStoreDir
	}
	if c.NATS.Replicas == 0 {
		c.NATS.Replicas = 1
	}
	if c.HTTP.Listen == nil {
		l := DefaultHTTPListen
		c.HTTP.Listen = &l
	}
	w := &c.Watch
	if w.Schedule == "" {
		w.Schedule = DefaultSchedule
	}
	if w.Timezone == "" {
		w.Timezone = DefaultTimezone
	}
	if w.Timeout == 0 {
		w.Timeout = Duration(DefaultFetchTimout)
	}
	if w.MaxBytes == 0 {
		w.MaxBytes = DefaultMaxBytes
	}
	if w.FailureThreshold == 0 {
		w.FailureThreshold = DefaultFailureThreshold
	}
	if w.FeedConnections == 0 {
		w.FeedConnections = DefaultFeedConnections
	}
	if w.HostDelay == nil {
		d := Duration(DefaultHostDelay)
		w.HostDelay = &d
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Schedule == "" {
			s.Schedule = w.Schedule
		}
		if s.Timeout == 0 {
			s.Timeout = w.Timeout
		}
		if s.Baseline == nil {
			b := true
			s.Baseline = &b
		}
		if s.Type == "" {
			s.Type = SourceFeed
		}
		if s.Pages == 0 {
			s.Pages = 1
		}
	}
	for i := range c.Notifiers {
		n := &c.Notifiers[i]
		if n.Locale == "" {
			n.Locale = "zh"
		}
		if n.Timezone == "" {
			n.Timezone = DefaultTimezone
		}
		if n.Timeout == 0 {
			n.Timeout = Duration(DefaultSendTimeout)
		}
		if len(n.Events) == 0 {
			n.Events = []string{EventAlerts}
		}
	}
}

// Validate reports every invalid value, each with its path.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if c.NATS.URL != "" {
		for _, u := range strings.Split(c.NATS.URL, ",") {
			if pu, err := url.Parse(strings.TrimSpace(u)); err != nil || pu.Host == "" {
				bad("nats.url", "%q is not a server URL like nats://host:4222", redactURL(u))
			}
		}
	} else if *c.NATS.Listen != "" {
		checkHostPort(bad, "nats.listen", *c.NATS.Listen)
	}
	if c.NATS.Replicas < 1 || c.NATS.Replicas > 5 {
		bad("nats.replicas", "%d is not between 1 and 5", c.NATS.Replicas)
	}
	if a := time.Duration(c.NATS.Retention.Alerts); a != 0 && a < MinAlertsRetention {
		bad("nats.retention.alerts", "%v is shorter than the %d days for which the router remembers alerts (to recognise reposts and never alert an item twice); keep alerts at least that long",
			a, MinAlertsRetention/(24*time.Hour))
	}
	if c.NATS.Instance != "" && !instanceRE.MatchString(c.NATS.Instance) {
		bad("nats.instance", "%q is not 1-64 letters, digits, '-' or '_'", c.NATS.Instance)
	}
	if *c.HTTP.Listen != "" {
		checkHostPort(bad, "http.listen", *c.HTTP.Listen)
	}
	if ms := c.Classifier.MinScore; ms != nil && (*ms < 0 || *ms > 1) {
		bad("classifier.min_score", "%v is not between 0 and 1", *ms)
	}
	if c.Classifier.Vocabulary != "" {
		if _, err := os.Stat(c.Classifier.Vocabulary); err != nil {
			bad("classifier.vocabulary", "%v", err)
		}
	}
	loc, err := time.LoadLocation(c.Watch.Timezone)
	if err != nil {
		bad("watch.timezone", "%q is not a time zone: %v", c.Watch.Timezone, err)
		loc = nil
	}
	if c.Watch.MaxBytes < 0 {
		bad("watch.max_bytes", "must be positive")
	}
	if c.Watch.FailureThreshold < 0 || c.Watch.FailureThreshold > 1000 {
		bad("watch.failure_threshold", "%d is not between 1 and 1000", c.Watch.FailureThreshold)
	}
	if c.Watch.FeedConnections < 0 || c.Watch.FeedConnections > MaxFeedConnections {
		bad("watch.feed_connections", "%d is not between 1 and %d", c.Watch.FeedConnections, MaxFeedConnections)
	}
	names := map[string]int{}
	for i, s := range c.Sources {
		p := fmt.Sprintf("sources[%d]", i)
		checkName(bad, p, s.Name, names, i)
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(p+".url", "%q is not an http(s) URL", redactURL(s.URL))
		}
		if _, err := ParseSchedule(s.Schedule, loc); err != nil {
			bad(p+".schedule", "%v", err)
		}
		errs = append(errs, c.Sources[i].compile(p)...)
	}
	names = map[string]int{}
	for i := range c.Notifiers {
		c.Notifiers[i].validate(fmt.Sprintf("notifiers[%d]", i), i, names, bad)
	}
	return errors.Join(errs...)
}

func (n *Notifier) validate(p string, i int, names map[string]int, bad func(string, string, ...any)) {
	checkName(bad, p, n.Name, names, i)
	if !slices.Contains(notifierTypes, n.Type) {
		bad(p+".type", "%q is not one of %s", n.Type, strings.Join(notifierTypes, ", "))
		return
	}
	usesWebhookURL := n.Type == "slack" || n.Type == "dingtalk" || n.Type == "wecom" || n.Type == "feishu"
	unused := func(key string, set bool) {
		if set {
			bad(p+"."+key, "not used by type %s", n.Type)
		}
	}
	unused("webhook_url", !usesWebhookURL && n.WebhookURL != "")
	unused("url", n.Type != "webhook" && n.URL != "")
	unused("secret", n.Type != "webhook" && n.Type != "dingtalk" && n.Type != "feishu" && n.Secret != "")
	unused("smtp", n.Type != "email" && n.SMTP != nil)
	unused("from", n.Type != "email" && n.From != "")
	unused("to", n.Type != "email" && len(n.To) > 0)
	switch {
	case usesWebhookURL:
		checkHTTPURL(bad, p+".webhook_url", n.WebhookURL)
	case n.Type == "webhook":
		checkHTTPURL(bad, p+".url", n.URL)
	case n.Type == "email":
		n.validateEmail(p, bad)
	}
	if n.Match != nil {
		n.Match.validate(p+".match", bad)
	}
	if n.Exclude != nil {
		n.Exclude.validate(p+".exclude", bad)
	}
	if n.Locale != "zh" && n.Locale != "en" {
		bad(p+".locale", "%q is not zh or en", n.Locale)
	}
	n.compileRhythm(p, bad)
	if n.Template != "" {
		if _, err := os.Stat(n.Template); err != nil {
			bad(p+".template", "%v", err)
		}
	}
	for j, e := range n.Events {
		if e != EventAlerts && e != EventHealth && e != EventReposts {
			bad(fmt.Sprintf("%s.events[%d]", p, j), "%q is not alerts, health or reposts", e)
		}
	}
	if n.Retry.MaxAttempts < 0 {
		bad(p+".retry.max_attempts", "must not be negative")
	}
	if n.Retry.Max != 0 && n.Retry.Initial > n.Retry.Max {
		bad(p+".retry", "initial %s is longer than max %s", time.Duration(n.Retry.Initial), time.Duration(n.Retry.Max))
	}
}

// compileRhythm compiles the notifier's zone, digest, quiet hours and rate
// into Location, DigestSchedule, QuietWindow and SendRate. A digest or
// quiet hours in a zone that does not load are not checked further.
func (n *Notifier) compileRhythm(p string, bad func(string, string, ...any)) {
	loc, err := time.LoadLocation(n.Timezone)
	if err != nil {
		bad(p+".timezone", "%q is not a time zone: %v", n.Timezone, err)
		return
	}
	n.Location = loc
	if n.Digest != "" {
		if n.DigestSchedule, err = rhythm.ParseDigest(n.Digest, loc); err != nil {
			bad(p+".digest", "%v", err)
		}
	}
	if n.QuietHours != "" {
		if n.QuietWindow, err = rhythm.ParseWindow(n.QuietHours, loc); err != nil {
			bad(p+".quiet_hours", "%v", err)
		}
	}
	if n.Rate != "" {
		if n.SendRate, err = rhythm.ParseRate(n.Rate); err != nil {
			bad(p+".rate", "%v", err)
		}
	}
}

func (n *Notifier) validateEmail(p string, bad func(string, string, ...any)) {
	if n.SMTP == nil || n.SMTP.Host == "" {
		bad(p+".smtp.host", "required for type email")
	} else if n.SMTP.Port < 0 || n.SMTP.Port > 65535 {
		bad(p+".smtp.port", "%d is not a port", n.SMTP.Port)
	}
	if n.SMTP != nil && n.SMTP.TLS && n.SMTP.StartTLS != nil && *n.SMTP.StartTLS {
		bad(p+".smtp", "choose tls (implicit, port 465) or starttls, not both")
	}
	if n.SMTP != nil && n.SMTP.Password != "" && n.SMTP.Username == "" {
		bad(p+".smtp.username", "required when a password is given")
	}
	if _, err := mail.ParseAddress(n.From); err != nil {
		bad(p+".from", "%q is not an email address", n.From)
	}
	if len(n.To) == 0 {
		bad(p+".to", "at least one address is required")
	}
	for j, to := range n.To {
		if _, err := mail.ParseAddress(to); err != nil {
			bad(fmt.Sprintf("%s.to[%d]", p, j), "%q is not an email address", to)
		}
	}
}

func (f *Filter) validate(p string, bad func(string, string, ...any)) {
	regions := region.Slugs()
	for j, r := range f.Regions {
		if !slices.Contains(regions, r) {
			bad(fmt.Sprintf("%s.regions[%d]", p, j), "%q is not a region; known: %s", r, strings.Join(regions, ", "))
		}
	}
	for j, c := range f.Categories {
		if !slugRE.MatchString(c) {
			bad(fmt.Sprintf("%s.categories[%d]", p, j), "%q is not a category slug like sampling or recall", c)
		}
	}
	for j, s := range f.Sources {
		if notifier.CheckName(s) != nil {
			bad(fmt.Sprintf("%s.sources[%d]", p, j), "%q is not a source name", s)
		}
	}
	for j, t := range f.Terms {
		if strings.TrimSpace(t) == "" {
			bad(fmt.Sprintf("%s.terms[%d]", p, j), "empty term")
		}
	}
	if f.MinScore < 0 || f.MinScore > 1 {
		bad(p+".min_score", "%v is not between 0 and 1", f.MinScore)
	}
}

func checkName(bad func(string, string, ...any), p, name string, names map[string]int, i int) {
	// Sources and notifiers are named by one rule, the runtime's.
	if err := notifier.CheckName(name); err != nil {
		bad(p+".name", "%v", err)
		return
	}
	if j, dup := names[name]; dup {
		bad(p+".name", "%q is already used by entry %d", name, j)
	}
	names[name] = i
}

func checkHostPort(bad func(string, string, ...any), p, addr string) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		bad(p, "%q is not host:port: %v", addr, err)
	}
}

func checkHTTPURL(bad func(string, string, ...any), p, raw string) {
	if raw == "" {
		bad(p, "required")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad(p, "%q is not an http(s) URL", redactURL(raw))
	}
}

// knownCharset reports whether name is a charset label the decoder knows.
func knownCharset(name string) bool {
	e, err := htmlindex.Get(name)
	return err == nil && e != nil
}

// redactURL shows a URL that may embed a secret by its scheme and host.
func redactURL(raw string) string { return httprule.RedactSecretURL(raw) }
