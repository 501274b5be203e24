package email

import (
	"fmt"
	"slices"

	"github.com/wneessen/go-mail/smtp"
)

// plainOrLogin authenticates with PLAIN, or LOGIN when the server does not
// offer PLAIN. Both refuse to send credentials over an unencrypted
// connection to anything but localhost.
type plainOrLogin struct {
	username, password, host string
	chosen                   smtp.Auth
}

func (a *plainOrLogin) Start(server *smtp.ServerInfo) (string, []byte, error) {
	switch {
	case slices.Contains(server.Auth, "PLAIN"):
		a.chosen = smtp.PlainAuth("", a.username, a.password, a.host, false)
	case slices.Contains(server.Auth, "LOGIN"):
		a.chosen = smtp.LoginAuth(a.username, a.password, a.host, false)
	default:
		return "", nil, fmt.Errorf("smtp auth: server offers neither PLAIN nor LOGIN (offers %v)", server.Auth)
	}
	return a.chosen.Start(server)
}

func (a *plainOrLogin) Next(fromServer []byte, more bool) ([]byte, error) {
	return a.chosen.Next(fromServer, more)
}

// String never shows the password.
func (a *plainOrLogin) String() string { return "smtp auth for " + a.username }
