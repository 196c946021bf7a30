package bearer

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// Transport is an [http.RoundTripper] that authorizes each request with a
// bearer token from Source, after golang.org/x/oauth2's Transport. It:
//
//   - never modifies the caller's request: it sends a copy;
//   - refuses to send a token over plain http, except to a loopback
//     address, unless AllowInsecureHTTP is set;
//   - sends no token on a redirect to another host or scheme;
//   - on a 401 for the token it sent, if Source is an [Invalidator] and the
//     body can be sent again, invalidates the token, gets a new one and
//     replays the request once. A 403 is returned as is: a new token
//     would not grant a missing permission.
//
// A Transport is safe for concurrent use. It must not be copied after first
// use.
type Transport struct {
	// Source supplies the tokens. Required.
	Source TokenSource

	// Base sends the authorized requests. Optional: nil means
	// http.DefaultTransport.
	Base http.RoundTripper

	// AllowInsecureHTTP permits sending tokens over plain http to hosts
	// that are not loopback addresses. Leave it false outside trusted
	// networks: anyone on the path can read and reuse the token.
	AllowInsecureHTTP bool

	// Logger receives replays after a 401, with no secrets. Optional: nil
	// logs nothing.
	Logger *slog.Logger

	// inPlace is set by Client, which owns its requests: the header is set
	// on the request itself instead of on a copy, saving two allocations.
	inPlace bool

	header atomic.Pointer[authHeader] // the header value of the last token
}

// authHeader caches the Authorization value of one token, so a request
// with an unchanged token allocates no header.
type authHeader struct {
	tok    *oauth2.Token
	access string
	value  []string
	prev   string // the token before, still worth redacting
}

// errEmptyToken is returned when a source answers no token and no error.
var errEmptyToken = errors.New("the token source returned an empty token")

// errNoSource is returned by a Transport without a Source.
var errNoSource = errors.New("bearer: Transport.Source is nil: set it to a TokenSource")

// RoundTrip authorizes and sends req. See [Transport] for the rules.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		closeBody(req)
		return nil, errNoSource
	}
	if err := t.checkScheme(req.URL); err != nil {
		closeBody(req)
		return nil, err
	}
	if redirectedElsewhere(req) {
		return t.base().RoundTrip(t.withoutAuth(req))
	}
	tok, err := t.Source.Token(req.Context())
	if err == nil && (tok == nil || tok.AccessToken == "") {
		err = errEmptyToken
	}
	if err != nil {
		closeBody(req)
		return nil, &TokenError{Err: err}
	}
	sent := t.authorize(req, tok)
	resp, err := t.base().RoundTrip(sent)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	return t.replay(req, tok, resp)
}

// replay sends req once more with a new token after a 401, if the source
// can replace the token and the body can be sent again; otherwise it
// returns the 401 as it came.
func (t *Transport) replay(req *http.Request, rejected *oauth2.Token, resp *http.Response) (*http.Response, error) {
	inv, ok := t.Source.(Invalidator)
	if !ok || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, nil
	}
	inv.Invalidate(rejected)
	tok, err := t.Source.Token(req.Context())
	if err != nil || tok == nil || tok.AccessToken == "" || tok.AccessToken == rejected.AccessToken {
		t.logf(req, "token rejected with 401 and no new token is available", rejected.AccessToken)
		return resp, nil
	}
	again := req
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		again = shallowCopy(req)
		again.Body = body
	}
	drainAndClose(resp.Body)
	t.logf(req, "token rejected with 401; replaying once with a new token", rejected.AccessToken, tok.AccessToken)
	return t.base().RoundTrip(t.authorize(again, tok))
}

// authorize returns req carrying tok: req itself in place mode, else a
// copy with its own header map.
func (t *Transport) authorize(req *http.Request, tok *oauth2.Token) *http.Request {
	v := t.headerValue(tok)
	if t.inPlace {
		if req.Header == nil {
			req.Header = make(http.Header, 1)
		}
		req.Header["Authorization"] = v
		return req
	}
	r2 := shallowCopy(req)
	r2.Header = make(http.Header, len(req.Header)+1)
	for k, vv := range req.Header {
		r2.Header[k] = vv // value slices are shared, never modified
	}
	r2.Header["Authorization"] = v
	return r2
}

// withoutAuth returns req without an Authorization header.
func (t *Transport) withoutAuth(req *http.Request) *http.Request {
	if _, ok := req.Header["Authorization"]; !ok {
		return req
	}
	r2 := shallowCopy(req)
	r2.Header = req.Header.Clone()
	r2.Header.Del("Authorization")
	return r2
}

// headerValue returns the Authorization value for tok, cached per token.
func (t *Transport) headerValue(tok *oauth2.Token) []string {
	if h := t.header.Load(); h != nil && h.tok == tok && h.access == tok.AccessToken {
		return h.value
	}
	v := []string{tok.Type() + " " + tok.AccessToken}
	h := &authHeader{tok: tok, access: tok.AccessToken, value: v}
	if old := t.header.Load(); old != nil && old.access != tok.AccessToken {
		h.prev = old.access
	}
	t.header.Store(h)
	return v
}

func (t *Transport) checkScheme(u *url.URL) error {
	if u.Scheme == "https" || t.AllowInsecureHTTP || (u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil
	}
	return fmt.Errorf("bearer: refusing to send a token over %s to %s: use https, or allow it explicitly (AllowInsecureHTTP, WithInsecureHTTP)",
		u.Scheme, u.Host)
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) logf(req *http.Request, msg string, secrets ...string) {
	if t.Logger != nil {
		t.Logger.Info("bearer: "+msg, "method", req.Method, "url", redact.URL(req.URL, secrets...))
	}
}

// lastTokens returns the access tokens of the last requests it authorized
// (the current one and the one before), so errors about later requests can
// redact them.
func (t *Transport) lastTokens() []string {
	if h := t.header.Load(); h != nil {
		return []string{h.access, h.prev}
	}
	return nil
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// maxRedirects bounds the walk back through a redirect chain; net/http
// stops following after 10.
const maxRedirects = 20

// redirectedElsewhere reports whether req follows a redirect from a request
// to another scheme or host, to which the token must not be sent.
func redirectedElsewhere(req *http.Request) bool {
	first := req
	for i := 0; i < maxRedirects && first.Response != nil && first.Response.Request != nil; i++ {
		first = first.Response.Request
	}
	return first != req && (first.URL.Scheme != req.URL.Scheme || !strings.EqualFold(first.URL.Host, req.URL.Host))
}

func shallowCopy(req *http.Request) *http.Request {
	r2 := new(http.Request)
	*r2 = *req
	return r2
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// maxDrain bounds how much of an unwanted body is read so its connection
// can be reused; past it, the connection is closed instead.
const maxDrain = 64 << 10

func drainAndClose(body io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	body.Close()
}

// TokenError is returned when no token could be had for a request: the
// request was not sent. Err says why (see tokenrefresh for its errors).
type TokenError struct {
	Err error
}

func (e *TokenError) Error() string { return "bearer: no token for the request: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }
