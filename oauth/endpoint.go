package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// endpoint is a token endpoint with the client that calls it.
type endpoint struct {
	url    *url.URL
	aud    string // the audience of client assertions
	client ClientAuth
	s      Settings        // with defaults
	x      *httpx.Exchange // the transport, the rules, and the secrets seen
}

// newOtherEndpoint is an endpoint other than the token endpoint
// (revocation, introspection): its client assertions name aud, the token
// endpoint, when it is known (RFC 7523 3 has servers check their token
// endpoint there), else its own URL.
func newOtherEndpoint(u *url.URL, aud string, c ClientAuth, s Settings) *endpoint {
	ep := newEndpoint(u, c, s)
	if aud != "" {
		ep.aud = aud
	}
	return ep
}

func newEndpoint(u *url.URL, c ClientAuth, s Settings) *endpoint {
	s = s.withDefaults()
	// Without certificates to trust, and with a client certificate only
	// for a transport that can take it, building an exchange cannot fail.
	x, _ := httpx.NewExchange(httpx.ExchangeConfig{Pkg: "oauth", HTTPClient: s.HTTPClient, Insecure: s.AllowInsecureHTTP,
		OmitQuery: true, Certificate: presentable(c.Certificate.Reveal(), s.HTTPClient)})
	e := &endpoint{url: u, aud: assertionAudience(u), client: c, s: s, x: x}
	e.remember()
	return e
}

// remember adds the client's credentials to the registry, again with
// every request so that they stay among its newest secrets: the secret,
// and the Basic header value it travels in.
func (e *endpoint) remember() {
	if sec := e.client.Secret.Reveal(); sec != "" {
		e.x.Secrets.Add(sec, basicCredentials(e.client.ID, sec))
	}
}

func endpointName(u *url.URL) string {
	c := *u
	c.RawQuery = ""
	return c.String()
}

// token runs one token request of grant with the parameters in form and
// parses the answer. secrets are the grant's secrets (password, code,
// refresh token, verifier) to keep out of errors.
func (e *endpoint) token(ctx context.Context, grant string, form url.Values, secrets ...string) (*oauth2.Token, error) {
	form.Set("grant_type", grant)
	now := e.s.Now()
	ans, secrets, err := e.tokenAnswer(ctx, form, now, secrets)
	if err != nil {
		return nil, err
	}
	tok, err := parseTokenResponse(ans, now, e.s.DefaultLifetime, secrets)
	e.log(ctx, grant, ans, err)
	if err == nil {
		e.x.Secrets.Add(tok.AccessToken, tok.RefreshToken)
	}
	return tok, err
}

// tokenAnswer sends the token request of form, authenticated, with a
// DPoP proof when [Settings.DPoP] is set. An answer that asks for a DPoP
// nonce (use_dpop_nonce) is followed by the one retry RFC 9449 8 allows,
// with a new proof (and a new client assertion) carrying the server's
// nonce. It returns the answer and the secrets to keep out of errors.
func (e *endpoint) tokenAnswer(ctx context.Context, form url.Values, now time.Time, secrets []string) (*answer, []string, error) {
	// Parameters of the caller's (Params) are secret by their names too.
	secrets = append(secrets, redact.ValuesSecrets(form)...)
	for retried := false; ; retried = true {
		a, err := e.authorized(form, now)
		if err != nil {
			return nil, nil, err
		}
		secrets = append(secrets, a.assertion)
		a.get, a.dpop = e.s.TokenRequestGET, e.s.DPoP
		ans, err := e.post(ctx, a, secrets)
		if err != nil || retried || !asksDPoPNonce(ans, a.dpop) {
			return ans, secrets, err
		}
	}
}

// request is a form ready to post, with its headers.
type request struct {
	url       *url.URL
	form      url.Values
	header    http.Header
	assertion string
	get       bool  // send the form as the query of a GET ([Settings.TokenRequestGET])
	dpop      *DPoP // proves possession of its key ([Settings.DPoP]); nil: no proof
}

// authorized adds the client's authentication to form.
func (e *endpoint) authorized(form url.Values, now time.Time) (*request, error) {
	if e.client.usesTLS() && e.url.Scheme != "https" {
		return nil, permanentError{fmt.Errorf("oauth: %s presents the client certificate in the TLS handshake, so %s must be https", e.client.Method, endpointName(e.url))}
	}
	r := &request{url: e.url, form: form, header: http.Header{}}
	a, err := e.client.authenticate(form, r.header, now, e.aud)
	if err != nil {
		return nil, err
	}
	r.assertion = a
	return r, nil
}

// answer is a response read within MaxResponseBytes.
type answer struct {
	endpoint string
	status   int
	header   http.Header
	body     []byte
	oversize bool // the body was longer than MaxResponseBytes
	now      time.Time
	raw      *httpx.Answer    // the same answer, for redaction
	reg      *redact.Registry // the endpoint's secrets
}

// post sends r as a form-encoded POST (RFC 6749 3.2), or as the query of
// a GET when r.get is set, and reads the answer. secrets are the
// request's own (a password, a code, an assertion), kept out of errors
// besides those of the registry.
func (e *endpoint) post(ctx context.Context, r *request, secrets []string) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url.String(), strings.NewReader(r.form.Encode()))
	if r.get {
		u := *r.url
		q := u.Query()
		for k, v := range r.form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: build the request to %s: %w", endpointName(r.url), err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if !r.get {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.dpop == nil {
		return e.send(req, secrets)
	}
	proof, err := r.dpop.Proof(req.Method, req.URL, "")
	if err != nil {
		return nil, err
	}
	req.Header.Set("DPoP", proof)
	a, err := e.send(req, secrets)
	if err == nil {
		r.dpop.UseNonce(r.url, a.header.Get("DPoP-Nonce"))
	}
	return a, err
}

// send sends req through the exchange layer, which never follows a
// redirect (a 3xx is a *RedirectError), and reads the answer within
// MaxResponseBytes.
func (e *endpoint) send(req *http.Request, secrets []string) (*answer, error) {
	return e.exchange(req, e.x.Send, secrets)
}

// fetch is send for a request whose redirect the caller reads: a 3xx is
// returned as the answer, never followed.
func (e *endpoint) fetch(req *http.Request, secrets []string) (*answer, error) {
	return e.exchange(req, e.x.Fetch, secrets)
}

func (e *endpoint) exchange(req *http.Request, do func(*http.Request, int64, ...string) (*httpx.Answer, error), secrets []string) (*answer, error) {
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	e.remember()
	a, err := do(req, MaxResponseBytes, secrets...)
	if err != nil {
		return nil, err
	}
	return &answer{endpoint: endpointName(req.URL), status: a.StatusCode, header: a.Header, body: a.Body, oversize: a.Oversize,
		now: e.s.Now(), raw: a, reg: e.x.Secrets}, nil
}

// describe says what the answer's body is, with every secret removed.
func (a *answer) describe(secrets ...string) string {
	p, _ := a.raw.Redacted(a.reg, 0, secrets...)
	return p.Describe()
}

// RequestError is a request to an OAuth server that got no answer: the
// connection failed, was refused (plain http that did not reach a
// loopback address), timed out, or was cut. Method and URL (redacted)
// name the request; Err is the cause. tokenrefresh retries it. It is the
// same type as bearer.RequestError.
type RequestError = httpx.RequestError

// RedirectError is an answer of an OAuth server that redirected a request
// carrying credentials: it is never followed (RFC 6749 defines no redirect
// of the token endpoint). It is the same type as bearer.RedirectError;
// a permanent redirect (301, 308) is permanent for tokenrefresh.
type RedirectError = httpx.RedirectError

// log records the outcome of a token request, without secrets.
func (e *endpoint) log(ctx context.Context, grant string, a *answer, err error) {
	attrs := []slog.Attr{slog.String("endpoint", a.endpoint), slog.String("grant_type", grant),
		slog.String("auth_method", string(e.client.Method)), slog.Int("status", a.status)}
	var oe *Error
	if errors.As(err, &oe) {
		attrs = append(attrs, slog.String("error", oe.Code))
	}
	e.s.Logger.LogAttrs(ctx, slog.LevelDebug, "oauth: token request", attrs...)
}
