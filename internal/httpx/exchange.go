package httpx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/internal/redact"
)

// ExchangeConfig says how to build an [Exchange].
type ExchangeConfig struct {
	// Pkg prefixes messages: "bearer", "oauth", "login", "c2".
	Pkg string
	// HTTPClient is the caller's client, whose Transport, Jar and Timeout
	// are kept. Optional: nil, or a nil Transport, means a [Transport] of
	// this package, which the Exchange owns.
	HTTPClient *http.Client
	// Insecure lets credentials go over plain http anywhere.
	Insecure bool
	// Trust holds certificates to trust, added to the transport: the
	// Exchange's own, or a clone of the caller's *http.Transport. A
	// caller's transport of another type cannot take them.
	Trust *Trust
	// Certificate is presented to servers that ask for a client
	// certificate (RFC 8705): by the Exchange's own transport, or a clone
	// of the caller's *http.Transport. A caller's transport of another
	// type cannot present it.
	Certificate *tls.Certificate
	// Secrets is the client's registry of the secrets it has seen.
	// Optional: nil means a new one.
	Secrets *redact.Registry
	// OmitQuery leaves the query out of the URLs errors name: oauth's, whose
	// token requests may carry every parameter in it (TokenRequestGET).
	OmitQuery bool
}

// An Exchange is one client's way to the network: the transport its
// requests go through, where they may carry credentials, and the one
// registry of the secrets the client has seen, which every error and log
// line it writes is redacted with. The requests of a client's token
// source (a login, a refresh, a rotation) go through the client's
// Exchange too: see [Binder].
//
// An Exchange is safe for concurrent use.
type Exchange struct {
	pkg     string
	api     *http.Client // the caller's client, its transport configured
	send    *http.Client // api without redirects, for credential requests
	dest    Destination
	owned   *Transport // closed by Close; nil when the caller brought the transport
	noQuery bool       // errors name URLs without their query
	Secrets *redact.Registry
}

// A Binder is a token source that sends requests of its own (a login, a
// refresh, a rotation) through the client that uses it: the client hands
// it its Exchange when it is built, so that both share one transport, one
// set of rules, and one registry of secrets. A Binder serves one client.
type Binder interface {
	BindExchange(x *Exchange)
}

// NewExchange builds an Exchange from cfg.
func NewExchange(cfg ExchangeConfig) (*Exchange, error) {
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	x := &Exchange{pkg: cfg.Pkg, api: hc, Secrets: cfg.Secrets, noQuery: cfg.OmitQuery}
	if x.Secrets == nil {
		x.Secrets = new(redact.Registry)
	}
	switch base := hc.Transport.(type) {
	case nil:
		x.owned = NewTransport(TransportOptions{AllowInsecureHTTP: cfg.Insecure, Trust: cfg.Trust, Certificate: cfg.Certificate})
		hc.Transport = x.owned
	case *http.Transport:
		if cfg.Certificate != nil {
			base = base.Clone()
			base.TLSClientConfig = withCertificate(base.TLSClientConfig, cfg.Certificate)
			hc.Transport = base
		}
		if cfg.Trust != nil {
			rt, err := WithTrust(base, cfg.Trust)
			if err != nil {
				return nil, err
			}
			hc.Transport = rt
		}
	default:
		if cfg.Trust != nil {
			return nil, fmt.Errorf("the HTTP client given has a %T transport, not an *http.Transport, so the certificates cannot be added to it: add them to its tls.Config.RootCAs yourself, or give a client whose Transport is an *http.Transport", base)
		}
		if cfg.Certificate != nil {
			return nil, fmt.Errorf("the HTTP client given has a %T transport, not an *http.Transport, so the client certificate cannot be added to it: set it in its tls.Config.Certificates yourself, or give a client whose Transport is an *http.Transport", base)
		}
	}
	_, checked := hc.Transport.(*Transport)
	x.dest = Destination{Checked: checked, Insecure: cfg.Insecure}
	send := *hc
	send.CheckRedirect = noRedirect
	x.send = &send
	return x, nil
}

// HTTPClient returns the client as configured: the caller's Jar, Timeout
// and CheckRedirect, with the Exchange's transport.
func (x *Exchange) HTTPClient() *http.Client { return x.api }

// Destination returns where the Exchange's requests may carry credentials.
func (x *Exchange) Destination() Destination { return x.dest }

// Pkg returns the prefix of the Exchange's messages.
func (x *Exchange) Pkg() string { return x.pkg }

// Close closes the idle connections of the transport the Exchange owns;
// a caller's transport is left alone.
func (x *Exchange) Close() {
	if x.owned != nil {
		x.owned.CloseIdleConnections()
	}
}

// Send sends req, a request that carries credentials (a token request, a
// rotation, a login form, a revocation), and reads the answer up to limit
// bytes. It adds the credentials of req's Authorization header to the
// registry first. It refuses req, before sending anything, if its URL may
// not receive credentials ([*InsecureURLError]); it never follows a
// redirect ([*RedirectError]); a request that got no answer gives a
// [*RequestError]. Every error is redacted with the registry and extra.
func (x *Exchange) Send(req *http.Request, limit int64, extra ...string) (*Answer, error) {
	a, err := x.Fetch(req, limit, extra...)
	if err != nil {
		return nil, err
	}
	if IsRedirect(a.StatusCode) {
		extra = append(extra, redact.URLSecrets(req.URL)...)
		return nil, NewRedirectError(x.pkg, req.Method, RedactURL(x.named(req.URL), x.Secrets, extra...), a.StatusCode,
			x.Secrets.Redact(RedirectTarget(req.URL, a.Header), extra...))
	}
	return a, nil
}

// Fetch is [Exchange.Send] for a request whose redirect the caller reads
// itself (an authorization request, whose redirect back says whether it
// would be refused): a 3xx is returned as an Answer, its body not read,
// and still never followed.
func (x *Exchange) Fetch(req *http.Request, limit int64, extra ...string) (*Answer, error) {
	x.registerAuthorization(req.Header)
	extra = append(extra, redact.URLSecrets(req.URL)...) // errors may name the URL without its query
	if err := x.dest.Check(x.pkg, req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	resp, err := x.send.Do(req)
	if err != nil {
		return nil, NewRequestError(x.pkg, req.Method, x.named(req.URL), err, x.Secrets, extra...)
	}
	if IsRedirect(resp.StatusCode) {
		DrainAndClose(resp.Body)
		return &Answer{Method: req.Method, URL: req.URL, StatusCode: resp.StatusCode, Header: resp.Header}, nil
	}
	a, err := ReadAnswer(resp, limit)
	if err != nil {
		return nil, NewRequestError(x.pkg, req.Method, x.named(req.URL), fmt.Errorf("read the answer: %w", err), x.Secrets, extra...)
	}
	return a, nil
}

// named returns u as errors name it: without its query if so configured.
func (x *Exchange) named(u *url.URL) *url.URL {
	if !x.noQuery || u.RawQuery == "" {
		return u
	}
	c := *u
	c.RawQuery = ""
	return &c
}

// registerAuthorization adds the credentials of an Authorization header
// (a Bearer token, a Basic header's encoded id and secret) to the
// registry.
func (x *Exchange) registerAuthorization(h http.Header) {
	for _, v := range h.Values("Authorization") {
		if _, cred, ok := strings.Cut(v, " "); ok {
			x.Secrets.Add(strings.TrimSpace(cred))
		}
	}
}

// IsNotLoopback reports whether err is a plain-http connection a
// [Transport] refused: retrying cannot help.
func IsNotLoopback(err error) bool {
	var nl *NotLoopbackError
	return errors.As(err, &nl)
}
