package watcher

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Guard keeps the requests of a list-page source (its further pages and
// the articles its entries link to: addresses read from a page, not from
// the config) away from the machine's own network: a request may go to the
// source's own host name, on any port, or to public addresses; loopback,
// private, link-local (cloud metadata included), CGNAT and other special
// addresses are refused unless AllowPrivate. Every request is checked,
// each redirect included, and the address actually dialled is checked
// again, so a name that resolves differently the second time (DNS
// rebinding) gains nothing.
type Guard struct {
	OwnHost      string // the source's host name, lower case
	AllowPrivate bool
	Resolver     *net.Resolver // nil: net.DefaultResolver

	proxies sync.Map // host:port of proxies in use: dialled, not checked
}

// RefusedError is a request the guard did not let through.
type RefusedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *RefusedError) Error() string {
	if e.Addr.IsValid() {
		return fmt.Sprintf("refused to fetch from %s (%s): %s address; only the source's own host and public addresses are fetched (allow_private: true allows it)", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("refused to fetch from %s: %s", e.Host, e.Reason)
}

// special are address ranges that are neither private nor loopback by
// netip's reckoning and yet not the public internet.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64: checked by the IPv4 it embeds
	netip.MustParsePrefix("2001:db8::/32"),
}

// addrClass names why a is not public, "" when it is.
func addrClass(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(a) {
		b := a.As16()
		return addrClass(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range special {
		if p.Contains(a) {
			return "reserved"
		}
	}
	return ""
}

func (g *Guard) resolver() *net.Resolver {
	if g.Resolver != nil {
		return g.Resolver
	}
	return net.DefaultResolver
}

// own reports whether host is the source's own host name.
func (g *Guard) own(host string) bool {
	return g.OwnHost != "" && strings.EqualFold(strings.TrimSuffix(host, "."), g.OwnHost)
}

// check resolves host (a name or an address) and refuses it when any of
// its addresses is not public. It returns the addresses found.
func (g *Guard) check(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := g.resolver().LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		addrs = ips
	}
	if g.AllowPrivate {
		return addrs, nil
	}
	for _, a := range addrs {
		if c := addrClass(a); c != "" {
			return nil, &RefusedError{Host: host, Addr: a.Unmap(), Reason: c}
		}
	}
	return addrs, nil
}

// CheckURL refuses a URL the source may not fetch.
func (g *Guard) CheckURL(ctx context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return &RefusedError{Host: u.Host, Reason: "not an http(s) URL"}
	}
	if g.own(u.Hostname()) {
		return nil
	}
	_, err := g.check(ctx, u.Hostname())
	return err
}

// dial connects to addr after checking it, dialling the address that was
// checked (not the name again).
func (g *Guard) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if _, proxy := g.proxies.Load(addr); proxy || g.own(host) {
			return d.DialContext(ctx, network, addr)
		}
		addrs, err := g.check(ctx, host)
		if err != nil {
			return nil, err
		}
		var last error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
	}
}

// guardedTransport checks each request's URL before sending it; the client
// calls it for every redirect too.
type guardedTransport struct {
	g    *Guard
	next http.RoundTripper
}

func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.g.CheckURL(req.Context(), req.URL); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(req)
}

// ClientOptions say how a list-page source's HTTP client behaves.
type ClientOptions struct {
	Guard       *Guard       // nil: no guard
	Polite      *HostLimiter // nil: no per-host limit
	InsecureTLS bool
	Jar         http.CookieJar // a cookie jar of the source's own; nil: none
}

// NewClient returns an HTTP client for one list-page source: guarded,
// polite and with its own cookies.
func NewClient(o ClientOptions) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.InsecureTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the source says so: expired and self-signed certificates occur on government sites
	}
	var rt http.RoundTripper = tr
	if g := o.Guard; g != nil {
		tr.DialContext = g.dial(&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second})
		tr.Proxy = func(req *http.Request) (*url.URL, error) {
			u, err := http.ProxyFromEnvironment(req)
			if u != nil {
				port := u.Port()
				if port == "" {
					port = map[bool]string{true: "443", false: "80"}[u.Scheme == "https"]
				}
				g.proxies.Store(net.JoinHostPort(u.Hostname(), port), true)
			}
			return u, err
		}
		rt = &guardedTransport{g: g, next: rt}
	}
	if o.Polite != nil {
		rt = &politeTransport{limiter: o.Polite, next: rt}
	}
	return &http.Client{Transport: rt, Jar: o.Jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		return nil
	}}
}
