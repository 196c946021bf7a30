package oauth

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
)

const (
	// DefaultTokenLifetime is the lifetime given to a token whose response
	// carries no expires_in and whose access token is not a JWT with an exp
	// claim. An hour is the most common lifetime servers issue; a token that
	// dies earlier is answered 401, and the Refresher replaces it at once.
	// A token is never taken to live forever.
	DefaultTokenLifetime = time.Hour

	// DefaultRequestTimeout bounds one request with the default HTTP client,
	// so a hung server cannot hang a caller that gave no deadline. It
	// matches tokenrefresh.DefaultAttemptTimeout: a token endpoint that has
	// not answered in 30 s is not going to.
	DefaultRequestTimeout = 30 * time.Second

	// MaxResponseBytes bounds every response body read from a server: a
	// token response is a few kilobytes; 1 MiB is the module's limit.
	MaxResponseBytes = 1 << 20

	// MaxErrorBody bounds the part of an error response kept in
	// [Error.Body]: enough for any error document, small enough to log.
	MaxErrorBody = 2 << 10
)

// Settings are the fields every flow's configuration shares. The zero
// value is ready to use.
type Settings struct {
	// HTTPClient sends the requests. Optional: nil means a client with
	// DefaultRequestTimeout and the SDK's own transport. The client is used
	// through a copy that never follows redirects: a token request carries
	// credentials, and RFC 6749 defines no redirect of the token endpoint;
	// a 3xx gives a [*RedirectError]. Plain http goes only to this
	// machine: the SDK's transport checks, when it connects, that the
	// address reached is a loopback address; a transport of your own
	// cannot be checked so, and then plain http goes only to loopback IP
	// literals such as 127.0.0.1 (not to names such as localhost).
	HTTPClient *http.Client

	// Now is the clock that turns expires_in into an expiry and stamps
	// client assertions. Optional: nil means time.Now.
	Now func() time.Time

	// DefaultLifetime is the lifetime of a token when the server gives
	// none (no expires_in, no exp in a JWT access token). Optional: zero
	// means DefaultTokenLifetime; it must not be negative.
	DefaultLifetime time.Duration

	// Logger receives one debug record per request (endpoint, grant,
	// status, error code), never a secret. Optional: nil logs nothing.
	Logger *slog.Logger

	// AllowInsecureHTTP permits http URLs to hosts other than loopback
	// addresses. Credentials and tokens then cross the network in clear
	// text: use it only on networks you trust.
	AllowInsecureHTTP bool

	// DPoP, when set, proves possession of its key with every token
	// request (RFC 9449 5), so that the server binds the tokens to the
	// key: their token_type is then DPoP, and every request that sends
	// one must carry a proof of the same key (bearer.WithDPoP). A server
	// nonce is followed as RFC 9449 8 says. Optional: nil sends no proof.
	// [NewRefresher] sets tokenrefresh.Config.DPoP for a grant that has
	// it. With Metadata, its algorithm must be one the server lists in
	// dpop_signing_alg_values_supported. Revocation and introspection
	// requests carry no proof.
	DPoP *DPoP

	// TokenRequestGET sends token requests as a GET with the parameters
	// in the query string, for servers that take nothing else, as
	// Jawbone's token endpoint did. It is not OAuth (RFC 6749 3.2 requires
	// POST), and it leaks: the parameters (the code, the refresh token,
	// the client secret with ClientSecretPost) land in the access logs of
	// the server and of every proxy before it. Use it only when the server
	// leaves no choice. The token URL must then be https, even on
	// loopback. Revocation and introspection requests stay POSTs.
	TokenRequestGET bool
}

func (s *Settings) validate() error {
	if s.DefaultLifetime < 0 {
		return fmt.Errorf("oauth: DefaultLifetime is %v: it must be positive, or zero for %v", s.DefaultLifetime, DefaultTokenLifetime)
	}
	return nil
}

// validateFor checks s for a flow whose token endpoint is token.
func (s *Settings) validateFor(token *url.URL) error {
	if s.TokenRequestGET && token.Scheme != "https" {
		return fmt.Errorf("oauth: TokenRequestGET puts secrets in the URL: the token URL %s must be https", endpointName(token))
	}
	return s.validate()
}

// withDefaults returns a copy of s with the zero fields filled in. The
// exchange layer never follows a redirect with the HTTP client.
func (s Settings) withDefaults() Settings {
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: DefaultRequestTimeout}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.DefaultLifetime == 0 {
		s.DefaultLifetime = DefaultTokenLifetime
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// checkURL checks that raw, the value of the Config field name, is an
// absolute https URL (or http to a loopback address, or anywhere when
// insecure is set) without credentials or a fragment.
func checkURL(name, raw string, insecure bool) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("oauth: %s is required", name)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("oauth: %s is not an absolute URL such as https://auth.example.com/token", name)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("oauth: %s must not carry a user name or password: set the Client fields", name)
	case u.Fragment != "":
		return nil, fmt.Errorf("oauth: %s must not have a fragment (RFC 6749 3.1)", name)
	case u.Scheme == "https":
		return u, nil
	// The names of this machine pass here: the exchange layer checks at
	// each request where they lead.
	case u.Scheme == "http" && httpx.Destination{Checked: true, Insecure: insecure}.Check("oauth", u) == nil:
		return u, nil
	case u.Scheme == "http":
		return nil, fmt.Errorf("oauth: %s %s is plain http: use https, or set AllowInsecureHTTP on a trusted network", name, u.Redacted())
	}
	return nil, fmt.Errorf("oauth: %s has scheme %q: use https", name, u.Scheme)
}
