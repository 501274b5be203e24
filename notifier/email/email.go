// Package email delivers alerts by SMTP as multipart/alternative messages:
// a plain text part and an HTML part (html/template, so feed text is
// escaped). The subject is the renderer's title line, RFC 2047-encoded by
// go-mail. Delivery is at least once: a message the daemon was sending when
// it died is sent again. The Message-ID is derived from the alert ids (see
// MessageID) and X-Qualitywatch-Alert-Id carries notifier.DedupKey, so a
// repeat of the same alert or digest carries the same ids and can be
// recognised.
//
// SMTP failures are classified for the delivery runtime: a 5xx reply (550
// mailbox unavailable, 535 authentication failed, 554 rejected) is permanent;
// 4xx replies, connection and TLS errors are transient.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// TLS modes.
const (
	TLSStartTLS              = "starttls"               // STARTTLS required (default)
	TLSStartTLSOpportunistic = "starttls-opportunistic" // STARTTLS when offered
	TLSImplicit              = "tls"                    // TLS from the first byte (SMTPS, port 465)
	TLSNone                  = "none"                   // plain text
)

// Config configures an email notifier.
type Config struct {
	Host string
	// Port defaults to 465 for TLSImplicit and 587 otherwise.
	Port int
	// Username enables SMTP AUTH (PLAIN, or LOGIN when PLAIN is not offered).
	// Credentials are only sent over TLS, or in plain text to localhost.
	Username string
	Password string // secret: never in errors or String()
	// TLS is one of the TLS modes; "" means TLSStartTLS.
	TLS string
	// TLSConfig customises verification (RootCAs, ServerName); nil: system
	// roots and Host as the server name.
	TLSConfig *tls.Config
	// HELO is the name sent in EHLO/HELO; "": the local host name.
	HELO string
	From string   // RFC 5322 address, e.g. "质量监测 <qw@example.org>"
	To   []string // at least one recipient
	// Timeout bounds connecting and each SMTP command; 0: 30 s.
	Timeout time.Duration
	// Renderer renders subject and text part; nil: Chinese, built-in.
	Renderer *message.Renderer
}

// Notifier mails alerts through one SMTP server.
type Notifier struct {
	cfg      Config
	port     int
	renderer *message.Renderer
}

// New checks cfg and returns a Notifier. It does not connect.
func New(cfg Config) (*Notifier, error) {
	n := &Notifier{cfg: cfg, renderer: cfg.Renderer}
	if err := n.check(); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	n.renderer = r
	if _, err := gomail.NewClient(cfg.Host, n.clientOptions()...); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return n, nil
}

func (n *Notifier) check() error {
	var errs []error
	if n.cfg.Host == "" {
		errs = append(errs, fmt.Errorf("smtp host: missing"))
	}
	switch n.cfg.TLS {
	case "":
		n.cfg.TLS = TLSStartTLS
	case TLSStartTLS, TLSStartTLSOpportunistic, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("smtp tls mode %q: want %q, %q, %q or %q", n.cfg.TLS, TLSStartTLS, TLSStartTLSOpportunistic, TLSImplicit, TLSNone))
	}
	n.port = n.cfg.Port
	switch {
	case n.port < 0 || n.port > 65535:
		errs = append(errs, fmt.Errorf("smtp port %d: out of range", n.port))
	case n.port == 0 && n.cfg.TLS == TLSImplicit:
		n.port = 465
	case n.port == 0:
		n.port = 587
	}
	if n.cfg.Password != "" && n.cfg.Username == "" {
		errs = append(errs, fmt.Errorf("smtp password set without a username"))
	}
	if n.cfg.Username != "" && n.cfg.TLS == TLSNone && !isLocalhost(n.cfg.Host) {
		errs = append(errs, fmt.Errorf("smtp auth over an unencrypted connection to %s: use tls mode %q or %q", n.cfg.Host, TLSStartTLS, TLSImplicit))
	}
	if _, err := mail.ParseAddress(n.cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q: %w", n.cfg.From, err))
	}
	if len(n.cfg.To) == 0 {
		errs = append(errs, fmt.Errorf("to: no recipients"))
	}
	for i, to := range n.cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			errs = append(errs, fmt.Errorf("to[%d] %q: %w", i, to, err))
		}
	}
	return errors.Join(errs...)
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// clientOptions configures a go-mail client for one delivery (the
// authenticator keeps per-connection state).
func (n *Notifier) clientOptions() []gomail.Option {
	cfg := n.cfg
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = cfg.Host
		}
	}
	opts := []gomail.Option{gomail.WithPort(n.port), gomail.WithTimeout(timeout), gomail.WithTLSConfig(tlsConfig)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSStartTLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.HELO != "" {
		opts = append(opts, gomail.WithHELO(cfg.HELO))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuthCustom(&plainOrLogin{username: cfg.Username, password: cfg.Password, host: cfg.Host}))
	}
	return opts
}

// Notify sends one message carrying alerts to every recipient.
func (n *Notifier) Notify(ctx context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	msg, err := n.compose(alerts)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("email: %w", err))
	}
	client, err := gomail.NewClient(n.cfg.Host, n.clientOptions()...)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("email: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(fmt.Errorf("email via %s: %w", n.addr(), err))
	}
	return nil
}

func (n *Notifier) addr() string { return fmt.Sprintf("%s:%d", n.cfg.Host, n.port) }

// String names the server and mode, never the credentials.
func (n *Notifier) String() string {
	return fmt.Sprintf("email smtp://%s (%s) to %d recipient(s)", n.addr(), n.cfg.TLS, len(n.cfg.To))
}

// classify marks err permanent for a 5xx SMTP reply, transient otherwise.
func classify(err error) error {
	code := 0
	var se *gomail.SendError
	var te *textproto.Error
	switch {
	case errors.As(err, &se):
		code = se.ErrorCode()
	case errors.As(err, &te):
		code = te.Code
	}
	if code >= 500 && code < 600 {
		return notifier.Permanent(code, err)
	}
	return notifier.Transient(code, 0, err)
}

var _ notifier.Notifier = (*Notifier)(nil)
