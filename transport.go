package bearer

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/redact"
)

// Transport is an [http.RoundTripper] that authorizes each request with a
// bearer token from Source, after golang.org/x/oauth2's Transport. It:
//
//   - never modifies the caller's request: it sends a copy with a header
//     map of its own, and an Authorization value slice of its own, so a
//     caller that edits resp.Request's header changes nothing any other
//     request sends;
//   - refuses to send a token over plain http except to this machine,
//     unless AllowInsecureHTTP is set: with a nil Base, a transport of the
//     SDK checks at connect time that the address a plain-http connection
//     reaches is a loopback address (a name such as localhost is trusted
//     for what it resolves to, not for its name); a Base of your own
//     cannot be checked so, and then plain http may go only to a loopback
//     IP literal such as 127.0.0.1;
//   - follows a redirect (which your http.Client decides) only to the
//     scheme and host the request started on, without a Referer; a
//     redirect elsewhere fails with a [*RedirectError], so neither the
//     token nor the body reaches another host;
//   - after an error answer to the token it sent, asks Source what it
//     means: a [RejectionPolicy] decides; an [Invalidator] answered 401
//     is told the token was rejected. Either way, when the token must be
//     replaced and the body can be sent again (no body, or GetBody set),
//     it gets a new token and sends the request once more. If Source
//     fails to give one, RoundTrip returns its [*TokenError], which says
//     why (after a revoked grant, the refresh's invalid_grant), for a
//     body that cannot be read twice too. Such a body is sent once: when
//     a new token comes, its 401 is returned as it came.
//     A 403 is returned as is: a new token would not grant a missing
//     permission.
//
// A Transport is safe for concurrent use. Its zero value has no Source
// and refuses every request; set Source before use. It must not be copied
// after first use.
type Transport struct {
	// Source supplies the tokens. Required.
	Source TokenSource

	// Base sends the authorized requests. Optional: nil means a transport
	// of the SDK shared by every Transport without a Base: the settings of
	// http.DefaultTransport, plus the address check above. For tokens
	// bound to a client certificate (RFC 8705), Base must present it (its
	// tls.Config.Certificates), or use a [Client] with
	// [WithClientCertificate], which also checks the binding.
	Base http.RoundTripper

	// AllowInsecureHTTP permits sending tokens over plain http to hosts
	// that are not loopback addresses. Leave it false outside trusted
	// networks: anyone on the path can read and reuse the token.
	AllowInsecureHTTP bool

	// DPoP proves possession of the key that Source's DPoP-bound tokens
	// are bound to (RFC 9449): the oauth.DPoP of the grant. Optional: nil
	// refuses to send a DPoP-bound token. See [Prover].
	DPoP Prover

	// Logger receives replays after a rejection, with no secrets.
	// Optional: nil logs nothing.
	Logger *slog.Logger

	cache   headerCache
	secrets redact.Registry // the tokens sent, kept out of errors and logs
}

// errNoSource is returned by a Transport without a Source.
var errNoSource = errors.New("bearer: Transport.Source is nil: set it to a TokenSource")

// RoundTrip authorizes and sends req. See [Transport] for the rules.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		closeBody(req)
		return nil, errNoSource
	}
	base, checked := t.base()
	if req.Response != nil || req.URL.Scheme != "https" { // a first https request passes
		if err := t.check(req, checked); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	tok, err := fetchToken(req.Context(), t.Source)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	out, err := authorizedCopy(req, tok, t.Source, &t.cache, &t.secrets, t.DPoP)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		return resp, err
	}
	if t.DPoP != nil { // a call less per request without DPoP
		noteNonce(t.DPoP, req, tok, resp)
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	return rejection{src: t.Source, base: base, cache: &t.cache, reg: &t.secrets, logger: t.Logger, dpop: t.DPoP}.after(req, tok, resp)
}

// base returns the transport to send through, and whether it checks
// plain-http addresses when it connects.
func (t *Transport) base() (http.RoundTripper, bool) {
	if b := t.Base; b != nil {
		_, checked := b.(*httpx.Transport)
		return b, checked
	}
	return httpx.Default(t.AllowInsecureHTTP), true
}

// check refuses req if it may not carry the token: a redirect to another
// scheme or host, or plain http that may not reach this machine.
func (t *Transport) check(req *http.Request, checked bool) error {
	if first := firstRequest(req); first != req && !sameOrigin(first, req) {
		return httpx.NewRedirectError("bearer", first.Method, httpx.RedactURL(first.URL, &t.secrets),
			req.Response.StatusCode, t.secrets.Redact(req.URL.Scheme+"://"+req.URL.Host))
	}
	return httpx.Destination{Checked: checked, Insecure: t.AllowInsecureHTTP}.Check("bearer", req.URL)
}

// maxRedirects bounds the walk back through a redirect chain; net/http
// stops following after 10.
const maxRedirects = 20

// firstRequest returns the request that started req's redirect chain.
func firstRequest(req *http.Request) *http.Request {
	first := req
	for i := 0; i < maxRedirects && first.Response != nil && first.Response.Request != nil; i++ {
		first = first.Response.Request
	}
	return first
}

func sameOrigin(a, b *http.Request) bool {
	return a.URL.Scheme == b.URL.Scheme && strings.EqualFold(a.URL.Host, b.URL.Host)
}
