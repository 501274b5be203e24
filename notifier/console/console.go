// Package console prints alerts readably to a writer (stdout in production),
// in the renderer's locale: title, link, source, regions, categories, score,
// matched terms and summary; a digest prints every alert. Control characters
// in feed text (terminal escape sequences) are dropped. It fails only when
// the writer does.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

// Config configures a console notifier.
type Config struct {
	Writer   io.Writer         // required, e.g. os.Stdout
	Renderer *message.Renderer // nil: Chinese, built-in
}

// Notifier writes alerts to a writer, one message at a time.
type Notifier struct {
	mu       sync.Mutex // keeps concurrent messages from interleaving
	w        io.Writer
	renderer *message.Renderer
}

// New returns a Notifier writing to cfg.Writer.
func New(cfg Config) (*Notifier, error) {
	if cfg.Writer == nil {
		return nil, fmt.Errorf("console: no writer")
	}
	n := &Notifier{w: cfg.Writer, renderer: cfg.Renderer}
	r, err := message.OrDefault(cfg.Renderer)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	n.renderer = r
	return n, nil
}

// separator ends every message.
const separator = "────────────────────────────────────────\n"

// Notify prints one message carrying alerts.
func (n *Notifier) Notify(_ context.Context, alerts ...alert.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	text, err := n.renderer.Render(message.Format{Escape: printable}, alerts...)
	if err != nil {
		return notifier.Permanent(0, fmt.Errorf("console: %w", err))
	}
	text = strings.TrimRight(text, "\n") + "\n" + separator
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := io.WriteString(n.w, text); err != nil {
		return notifier.Transient(0, 0, fmt.Errorf("console: write: %w", err))
	}
	return nil
}

// String names the channel.
func (n *Notifier) String() string { return "console" }

// printable drops control and format characters (ANSI escapes, bidi
// overrides) and collapses whitespace.
func printable(s string) string {
	return message.OneLine(strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s))
}

var _ notifier.Notifier = (*Notifier)(nil)
