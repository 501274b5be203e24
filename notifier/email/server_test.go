package email_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
	User string // authenticated user, if any
	TLS  bool   // the session was encrypted
}

// serverOptions shape the in-process SMTP server.
type serverOptions struct {
	Auth       []string    // mechanisms offered ("PLAIN", "LOGIN"); user "qw", password "s3cret-pass"
	TLS        *tls.Config // offered for STARTTLS, or used for the whole connection with Implicit
	Implicit   bool
	RejectRcpt *smtp.SMTPError
	RejectData *smtp.SMTPError
}

const (
	testUser     = "qw"
	testPassword = "s3cret-pass"
)

// testServer is an in-process SMTP server recording what it receives.
type testServer struct {
	Host string
	Port int
	opts serverOptions
	mu   sync.Mutex
	msgs []received
}

func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{opts: opts}
	s := smtp.NewServer(ts)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	var l net.Listener
	var err error
	if opts.Implicit {
		l, err = tls.Listen("tcp", "127.0.0.1:0", opts.TLS)
	} else {
		s.TLSConfig = opts.TLS
		l, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	host, port, _ := net.SplitHostPort(l.Addr().String())
	ts.Host = host
	ts.Port, _ = strconv.Atoi(port)
	return ts
}

func (ts *testServer) Messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

func (ts *testServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, encrypted := c.TLSConnectionState()
	return &session{srv: ts, msg: received{TLS: encrypted}}, nil
}

type session struct {
	srv *testServer
	msg received
}

func (s *session) AuthMechanisms() []string { return s.srv.opts.Auth }

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != testUser || pass != testPassword {
			return smtp.ErrAuthFailed // 535
		}
		s.msg.User = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnsupported
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(s.srv.opts.Auth) > 0 && s.msg.User == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.RejectRcpt != nil {
		return s.srv.opts.RejectRcpt
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.RejectData != nil {
		return s.srv.opts.RejectData
	}
	s.msg.Data = data
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.msg)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = received{User: s.msg.User, TLS: s.msg.TLS} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of the LOGIN mechanism.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(response) > 0 { // initial response carries the user name
			l.user, l.step = string(response), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(response))
	}
}

// selfSigned returns a server TLS config for 127.0.0.1/localhost and a pool
// trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "qualitywatch test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
