package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bearer-go/bearer/internal/httpx"
	"golang.org/x/oauth2"
)

const (
	// DefaultLoginTimeout bounds how long [AuthCode.Login] waits for the
	// browser: long enough to type a password and pass a second factor,
	// short enough that a forgotten terminal does not hold a port open.
	DefaultLoginTimeout = 5 * time.Minute

	// DefaultRedirectPath is the path of the loopback redirect URI.
	DefaultRedirectPath = "/callback"
)

// Errors of the authorization code flow.
var (
	// ErrLoginTimeout: the browser did not come back within the timeout.
	ErrLoginTimeout = errors.New("oauth: login timed out: no answer from the browser")
	// ErrStateMismatch: the redirect carried another state than the one
	// sent, so it does not answer this login (RFC 6749 10.12).
	ErrStateMismatch = errors.New("oauth: the redirect's state does not match this login")
)

// AuthCodeConfig configures the authorization code grant with PKCE (RFC
// 6749 4.1, RFC 7636), for a native app that listens on 127.0.0.1 for the
// browser's redirect ([AuthCode.Login], RFC 8252), or for a web
// application that handles the redirect in its own handlers
// ([AuthCode.AuthURL] and [AuthCode.Exchange]).
type AuthCodeConfig struct {
	// AuthURL is the authorization endpoint. Required unless Metadata
	// gives it.
	AuthURL string

	// TokenURL is the token endpoint. Required unless Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills AuthURL, TokenURL and Issuer when empty, checks
	// the configuration against what the server supports, and makes an
	// authorization response without iss an error when the server says
	// it always sends one (RFC 9207 2.4).
	Metadata *Metadata

	// Issuer is the issuer the authorization response's iss must name
	// (RFC 9207 2.4), and the iss of ID tokens. Optional: empty means
	// Metadata's issuer, or, without Metadata, that iss is not checked.
	Issuer string

	// Client identifies the client. Required: AuthNone for a public native
	// app (RFC 8252 8.4), or a confidential client's method.
	Client ClientAuth

	// Scopes are the scopes requested. Optional. With openid, the login
	// sends a nonce and checks the ID token that comes back. With
	// offline_access, the authorization request carries prompt=consent
	// unless AuthParams sets prompt (OpenID Connect Core 11): without it,
	// servers such as oidc-provider drop the scope and send no refresh
	// token.
	Scopes []string

	// AuthParams are extra parameters of the authorization request, such
	// as prompt or login_hint. Optional; they must not repeat the flow's.
	AuthParams url.Values

	// Params are extra form parameters of the code exchange and of the
	// refresh requests, such as resource (RFC 8707 2.2). Optional; they
	// must not repeat the grant's own.
	Params url.Values

	// RedirectURL is a web application's redirect URI, as registered with
	// the server, such as http://app.example:5000/receiveCode: the one
	// [AuthCode.AuthURL] sends. Required for AuthURL; [AuthCode.Login]
	// does not use it. https, or plain http to a loopback address (or
	// anywhere with AllowInsecureHTTP), or an app's private scheme.
	RedirectURL string

	// RedirectPath is the path of Login's redirect URI
	// http://127.0.0.1:{port}{path}. Optional: empty means
	// DefaultRedirectPath.
	RedirectPath string

	// Port is Login's listener port. Optional: zero means an ephemeral
	// port, as RFC 8252 7.3 prescribes; set it only for servers that
	// cannot match loopback redirect URIs on any port.
	Port int

	// Timeout bounds Login's wait for the browser. Optional: zero means
	// DefaultLoginTimeout.
	Timeout time.Duration

	// OpenBrowser shows the authorization URL to the user. Optional: nil
	// means [OpenBrowser], the platform's opener. An error ends the login
	// at once; on a machine without a browser use [PrintURL], or the
	// device grant ([NewDevice]).
	OpenBrowser func(ctx context.Context, authURL string) error

	Settings
}

// authorizeParams are the authorization request parameters the flow sets.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce"}

func (c *AuthCodeConfig) validate() (auth, token *url.URL, err error) {
	if auth, err = c.Metadata.url("AuthURL", c.AuthURL, "authorization_endpoint", c.AllowInsecureHTTP, ClientAuth{}); err != nil {
		return nil, nil, err
	}
	if token, err = c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client); err != nil {
		return nil, nil, err
	}
	if err := c.Client.validate(false); err != nil {
		return nil, nil, err
	}
	if err := checkParams(c.Params); err != nil {
		return nil, nil, err
	}
	for _, k := range authorizeParams {
		if c.AuthParams.Has(k) {
			return nil, nil, fmt.Errorf("oauth: AuthParams must not set %s: the flow sets it", k)
		}
	}
	if err := c.checkRedirect(); err != nil {
		return nil, nil, err
	}
	if err := c.checkMetadata(); err != nil {
		return nil, nil, err
	}
	return auth, token, c.Settings.validateFor(token)
}

// checkRedirect checks RedirectURL and Login's settings.
func (c *AuthCodeConfig) checkRedirect() error {
	switch {
	case c.RedirectPath != "" && !strings.HasPrefix(c.RedirectPath, "/"):
		return fmt.Errorf("oauth: RedirectPath %q must start with /", c.RedirectPath)
	case c.Port < 0 || c.Port > 65535:
		return fmt.Errorf("oauth: Port %d is not a TCP port", c.Port)
	case c.Timeout < 0:
		return fmt.Errorf("oauth: Timeout is %v: it must be positive, or zero for %v", c.Timeout, DefaultLoginTimeout)
	case c.RedirectURL == "":
		return nil
	}
	u, err := url.Parse(c.RedirectURL)
	switch {
	case err != nil || !u.IsAbs():
		return errors.New("oauth: RedirectURL is not an absolute URI such as https://app.example/callback")
	case u.Fragment != "":
		return errors.New("oauth: RedirectURL must not have a fragment (RFC 6749 3.1.2)")
	case u.Scheme == "http" && httpx.Destination{Checked: true, Insecure: c.AllowInsecureHTTP}.Check("oauth", u) != nil:
		return fmt.Errorf("oauth: RedirectURL %s is plain http: the code would cross the network in clear text (RFC 6749 3.1.2.1); use https, or set AllowInsecureHTTP on a trusted network", u.Redacted())
	}
	return nil
}

// checkMetadata checks the flow against the server's metadata, and the
// Issuer against the metadata's.
func (c *AuthCodeConfig) checkMetadata() error {
	if c.Metadata == nil {
		return nil
	}
	if c.Issuer != "" && c.Issuer != c.Metadata.Issuer {
		return fmt.Errorf("oauth: Issuer %q differs from the metadata's issuer %q: leave Issuer empty to use the metadata's", c.Issuer, c.Metadata.Issuer)
	}
	if err := c.Metadata.supportsPKCE(); err != nil {
		return err
	}
	return c.Metadata.supports("authorization_code", c.Client, c.DPoP)
}

// AuthCode runs the authorization code flow with PKCE and refreshes the
// tokens it gets. Create it with [NewAuthCode]; it is safe for concurrent
// use, but run one Login at a time: each opens a browser.
type AuthCode struct {
	ep         *endpoint
	auth       *url.URL
	cfg        AuthCodeConfig // with defaults filled in
	issuer     string         // the iss to expect; "" if unknown
	requireIss bool           // the server says it always sends iss
}

// NewAuthCode checks cfg and returns the flow. It does no I/O.
func NewAuthCode(cfg AuthCodeConfig) (*AuthCode, error) {
	auth, token, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if cfg.RedirectPath == "" {
		cfg.RedirectPath = DefaultRedirectPath
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultLoginTimeout
	}
	if cfg.OpenBrowser == nil {
		cfg.OpenBrowser = OpenBrowser
	}
	a := &AuthCode{ep: newEndpoint(token, cfg.Client, cfg.Settings), auth: auth, cfg: cfg, issuer: cfg.Issuer}
	if cfg.Metadata != nil {
		a.issuer = cfg.Metadata.Issuer
		a.requireIss = cfg.Metadata.AuthorizationResponseIssParameterSupported
	}
	return a, nil
}

// Refresh trades current's refresh token for a new token, keeping it when
// the server sends no new one. Without a refresh token it fails with
// [ErrNoRefreshToken], permanently: a background refresh cannot open a
// browser. [NewRefresher] logs in with [AuthCode.Login] instead when its
// Store holds no token.
func (a *AuthCode) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.RefreshToken == "" {
		return nil, permanentError{ErrNoRefreshToken}
	}
	return refreshGrant(ctx, a.ep, current.RefreshToken, nil, a.cfg.Params)
}
