package app

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/console"
	"github.com/qualitywatch/qualitywatch/notifier/delivery"
	"github.com/qualitywatch/qualitywatch/notifier/dingtalk"
	"github.com/qualitywatch/qualitywatch/notifier/email"
	"github.com/qualitywatch/qualitywatch/notifier/feishu"
	"github.com/qualitywatch/qualitywatch/notifier/httpsend"
	"github.com/qualitywatch/qualitywatch/notifier/message"
	"github.com/qualitywatch/qualitywatch/notifier/slack"
	"github.com/qualitywatch/qualitywatch/notifier/webhook"
	"github.com/qualitywatch/qualitywatch/notifier/wecom"
)

// Notifier is one configured notifier: the channel and its delivery options.
type Notifier struct {
	Name    string
	Channel notifier.Notifier
	Options delivery.Options
	index   int // in cfg.Notifiers
}

// BuildNotifier constructs the idx-th notifier of cfg.
func BuildNotifier(cfg *config.Config, idx int, stdout io.Writer) (Notifier, error) {
	return buildNotifier(cfg, idx, stdout, vocabularyOf(cfg))
}

// vocabularyOf is the vocabulary cfg puts in force, for naming its
// categories in messages (nil: the embedded one's names, as when the
// vocabulary cannot be read: that error is reported where it is built).
func vocabularyOf(cfg *config.Config) message.CategoryNamer {
	c, err := NewClassifier(cfg.Classifier)
	if err != nil {
		return nil
	}
	return c.Vocabulary()
}

func buildNotifier(cfg *config.Config, idx int, stdout io.Writer, names message.CategoryNamer) (Notifier, error) {
	nc := cfg.Notifiers[idx]
	path := fmt.Sprintf("notifiers[%d]", idx)
	ch, chErr := buildChannel(nc, stdout, names)
	opts, optErr := deliveryOptions(nc)
	if err := errors.Join(chErr, optErr); err != nil {
		return Notifier{}, prefixLines(path+": ", err)
	}
	return Notifier{Name: nc.Name, Channel: ch, Options: opts, index: idx}, nil
}

// prefixLines puts prefix before every line of err, so that each problem
// of a joined error names its entry.
func prefixLines(prefix string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// buildNotifiers constructs every notifier, reporting every problem.
func buildNotifiers(cfg *config.Config, stdout io.Writer, names message.CategoryNamer) ([]Notifier, error) {
	var out []Notifier
	var errs []error
	for i := range cfg.Notifiers {
		n, err := buildNotifier(cfg, i, stdout, names)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, n)
	}
	return out, errors.Join(errs...)
}

// buildChannel maps one notifier's config onto its channel package. Every
// channel is wired here, explicitly: no registry.
func buildChannel(nc config.Notifier, stdout io.Writer, names message.CategoryNamer) (notifier.Notifier, error) {
	if nc.Location == nil {
		return nil, errNotCompiled
	}
	r, err := message.NewRenderer(message.Options{Locale: nc.Locale, TemplateFile: nc.Template, Location: nc.Location, Categories: names})
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	client := func() *http.Client {
		c := httpsend.NewClient()
		c.Timeout = time.Duration(nc.Timeout)
		return c
	}
	switch nc.Type {
	case "console":
		return console.New(console.Config{Writer: stdout, Renderer: r})
	case "slack":
		return slack.New(slack.Config{WebhookURL: nc.WebhookURL, HTTPClient: client(), Renderer: r})
	case "webhook":
		return webhook.New(webhook.Config{URL: nc.URL, Secret: nc.Secret, HTTPClient: client()})
	case "dingtalk":
		return dingtalk.New(dingtalk.Config{WebhookURL: nc.WebhookURL, Secret: nc.Secret, HTTPClient: client(), Renderer: r})
	case "wecom":
		return wecom.New(wecom.Config{WebhookURL: nc.WebhookURL, HTTPClient: client(), Renderer: r})
	case "feishu":
		return feishu.New(feishu.Config{WebhookURL: nc.WebhookURL, Secret: nc.Secret, HTTPClient: client(), Renderer: r})
	case "email":
		s := nc.SMTP
		if s == nil {
			return nil, errors.New("smtp: required for type email")
		}
		return email.New(email.Config{
			Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password,
			TLS: smtpTLSMode(s), HELO: s.HELO, From: nc.From, To: nc.To,
			Timeout: time.Duration(nc.Timeout), Renderer: r,
		})
	default:
		return nil, fmt.Errorf("type %q is not a notifier type", nc.Type)
	}
}

// smtpTLSMode maps the config's tls/starttls keys to the email package's mode.
func smtpTLSMode(s *config.SMTP) string {
	switch {
	case s.TLS:
		return email.TLSImplicit
	case s.StartTLS == nil:
		return email.TLSStartTLSOpportunistic
	case *s.StartTLS:
		return email.TLSStartTLS
	default:
		return email.TLSNone
	}
}

// deliveryOptions passes on the rhythm config compiled when it loaded
// (buildChannel refuses a config that was not).
func deliveryOptions(nc config.Notifier) (delivery.Options, error) {
	o := delivery.Options{
		Name:           nc.Name,
		Match:          filter(nc.Match),
		Exclude:        filter(nc.Exclude),
		Digest:         nc.DigestSchedule,
		QuietHours:     nc.QuietWindow,
		Rate:           nc.SendRate,
		MaxAttempts:    nc.Retry.MaxAttempts,
		BackoffInitial: time.Duration(nc.Retry.Initial),
		BackoffMax:     time.Duration(nc.Retry.Max),
	}
	if err := delivery.ValidateOptions(o); err != nil {
		return delivery.Options{}, err
	}
	return o, nil
}

// errNotCompiled is the error for a notifier config that did not come
// through config.Load or Parse, which compile its zone, digest, quiet hours
// and rate.
var errNotCompiled = errors.New("timezone: not compiled: the config was not validated")

func filter(f *config.Filter) delivery.Filter {
	if f == nil {
		return delivery.Filter{}
	}
	return delivery.Filter{Regions: f.Regions, Categories: f.Categories, Terms: f.Terms, Sources: f.Sources, MinScore: f.MinScore}
}
