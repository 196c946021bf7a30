package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

const (
	// ResponseHeaderTimeout bounds the wait for a response's headers on a
	// transport of this package, so a hung server cannot hang a request
	// that has no deadline. Bodies may stream for longer.
	ResponseHeaderTimeout = time.Minute

	// dialTimeout and dialKeepAlive are http.DefaultTransport's: a
	// connection that takes longer than 30 s to open will not open.
	dialTimeout   = 30 * time.Second
	dialKeepAlive = 30 * time.Second
)

// TransportOptions configure [NewTransport].
type TransportOptions struct {
	// AllowInsecureHTTP lets plain-http connections reach any address.
	// Leave it false: then every plain-http connection must reach a
	// loopback address.
	AllowInsecureHTTP bool

	// Trust holds certificates to verify servers against, in place of the
	// system's roots. Optional.
	Trust *Trust

	// Certificate is presented to servers that ask for a client
	// certificate (RFC 8705). Optional.
	Certificate *tls.Certificate
}

// Transport is the SDK's own [http.RoundTripper], the one place a
// transport is built. It sends https through one [http.Transport] and
// plain http through another, whose every connection must reach a
// loopback address: the name in the URL is resolved, every address it
// resolves to is checked, and only then is a connection opened, to the
// addresses checked. So "localhost" and "*.localhost" are trusted for
// what they resolve to, not for their names, and nothing is sent (not
// even a TCP handshake) to an address that is not this machine's. A
// plain-http request is never sent through a proxy.
//
// A Transport is safe for concurrent use; CloseIdleConnections releases
// its idle connections.
type Transport struct {
	secure *http.Transport
	plain  *http.Transport
	trust  *Trust
}

// NewTransport returns a transport with http.DefaultTransport's settings,
// a [ResponseHeaderTimeout], and the plain-http rule above unless
// o.AllowInsecureHTTP.
func NewTransport(o TransportOptions) *Transport {
	return newTransport(o, nil)
}

// NewTransportResolving is [NewTransport] with the resolver of plain-http
// host names: for tests that show what a name's address makes the
// transport do, without a DNS server. The SDK uses NewTransport.
func NewTransportResolving(o TransportOptions, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) *Transport {
	return newTransport(o, lookup)
}

// newTransport is NewTransport with the resolver of plain-http hosts;
// nil means the system's.
func newTransport(o TransportOptions, lookup func(ctx context.Context, host string) ([]netip.Addr, error)) *Transport {
	secure := http.DefaultTransport.(*http.Transport).Clone()
	secure.ResponseHeaderTimeout = ResponseHeaderTimeout
	plain := secure.Clone()
	if o.Trust != nil {
		secure.TLSClientConfig = o.Trust.tlsConfig(secure.TLSClientConfig)
	}
	if o.Certificate != nil {
		secure.TLSClientConfig = withCertificate(secure.TLSClientConfig, o.Certificate)
	}
	if !o.AllowInsecureHTTP {
		d := &loopbackDialer{lookup: lookup}
		d.dialer = net.Dialer{Timeout: dialTimeout, KeepAlive: dialKeepAlive}
		plain.DialContext = d.DialContext
		plain.Proxy = nil // a proxy would read the credentials in clear text
	}
	return &Transport{secure: secure, plain: plain, trust: o.Trust}
}

// RoundTrip sends req through the transport of its scheme.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		return t.plain.RoundTrip(req)
	}
	resp, err := t.secure.RoundTrip(req)
	if err != nil && t.trust != nil {
		err = t.trust.explain(req.URL.Host, err)
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *Transport) CloseIdleConnections() {
	t.secure.CloseIdleConnections()
	t.plain.CloseIdleConnections()
}

// defaults are the transports shared by clients that bring none of their
// own and have nothing to configure (a bearer.Transport with a nil Base),
// as http.DefaultTransport is shared: one checked, one insecure.
var defaults = [2]func() *Transport{
	sync.OnceValue(func() *Transport { return NewTransport(TransportOptions{}) }),
	sync.OnceValue(func() *Transport { return NewTransport(TransportOptions{AllowInsecureHTTP: true}) }),
}

// Default returns a transport shared by every caller that asks for the
// same insecure setting. It is never closed.
func Default(insecure bool) *Transport {
	if insecure {
		return defaults[1]()
	}
	return defaults[0]()
}

// loopbackDialer opens plain-http connections to loopback addresses only.
type loopbackDialer struct {
	dialer net.Dialer
	lookup func(ctx context.Context, host string) ([]netip.Addr, error) // nil: the system's resolver
}

// DialContext resolves addr's host, refuses it unless every address it
// resolves to is a loopback address, and connects to the first of them
// that answers.
func (d *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := d.resolve(ctx, host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no address", Name: host, IsNotFound: true}
	}
	if err != nil {
		return nil, err
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: &NotLoopbackError{Host: host, Addr: ip}}
		}
	}
	var errs []error
	for _, ip := range ips {
		c, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (d *loopbackDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if d.lookup != nil {
		return d.lookup(ctx, host)
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// withCertificate returns a copy of base (nil: a TLS 1.2 minimum) that
// presents cert to servers that ask for a client certificate.
func withCertificate(base *tls.Config, cert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		cfg = base.Clone()
	}
	cfg.Certificates = []tls.Certificate{*cert}
	return cfg
}
