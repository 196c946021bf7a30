package oauth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const (
	// DefaultLoginTimeout bounds how long [AuthCode.Login] waits for the
	// browser: long enough to type a password and pass a second factor,
	// short enough that a forgotten terminal does not hold a port open.
	DefaultLoginTimeout = 5 * time.Minute

	// DefaultRedirectPath is the path of the loopback redirect URI.
	DefaultRedirectPath = "/callback"

	// openerGrace is how long Login lets the browser opener finish after
	// the login ended before it cancels it: xdg-open and friends return at
	// once; a test's HTTP client is reading the last page.
	openerGrace = 10 * time.Second
)

// Errors of the authorization code flow.
var (
	// ErrLoginTimeout: the browser did not come back within the timeout.
	ErrLoginTimeout = errors.New("oauth: login timed out: no answer from the browser")
	// ErrStateMismatch: the redirect carried another state than the one
	// sent, so it does not answer this login (RFC 6749 10.12).
	ErrStateMismatch = errors.New("oauth: the redirect's state does not match this login")
)

// AuthCodeConfig configures the authorization code grant with PKCE for a
// native app (RFC 6749 4.1, RFC 7636, RFC 8252): the user signs in in a
// browser, which is redirected to a listener on 127.0.0.1.
type AuthCodeConfig struct {
	// AuthURL is the authorization endpoint. Required.
	AuthURL string

	// TokenURL is the token endpoint. Required.
	TokenURL string

	// Client identifies the client. Required: AuthNone for a public native
	// app (RFC 8252 8.4), or a confidential client's method.
	Client ClientAuth

	// Scopes are the scopes requested. Optional.
	Scopes []string

	// AuthParams are extra parameters of the authorization request, such
	// as prompt or login_hint. Optional; they must not repeat the flow's.
	AuthParams url.Values

	// Params are extra form parameters of the code exchange and of the
	// refresh requests, such as resource (RFC 8707 2.2). Optional; they
	// must not repeat the grant's own.
	Params url.Values

	// RedirectPath is the path of the redirect URI
	// http://127.0.0.1:{port}{path}. Optional: empty means
	// DefaultRedirectPath.
	RedirectPath string

	// Port is the listener's port. Optional: zero means an ephemeral port,
	// as RFC 8252 7.3 prescribes; set it only for servers that cannot
	// match loopback redirect URIs on any port.
	Port int

	// Timeout bounds the wait for the browser. Optional: zero means
	// DefaultLoginTimeout.
	Timeout time.Duration

	// OpenBrowser shows the authorization URL to the user. Optional: nil
	// means [OpenBrowser], the platform's opener. If it fails, the URL is
	// printed to Output instead.
	OpenBrowser func(ctx context.Context, authURL string) error

	// Output receives the authorization URL when the browser could not be
	// opened. Optional: nil means os.Stderr.
	Output io.Writer

	Settings
}

// authorizeParams are the authorization request parameters the flow sets.
var authorizeParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"}

func (c *AuthCodeConfig) validate() (auth, token *url.URL, err error) {
	if auth, err = checkURL("AuthURL", c.AuthURL, c.AllowInsecureHTTP); err != nil {
		return nil, nil, err
	}
	if token, err = checkURL("TokenURL", c.TokenURL, c.AllowInsecureHTTP); err != nil {
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
	switch {
	case c.RedirectPath != "" && !strings.HasPrefix(c.RedirectPath, "/"):
		return nil, nil, fmt.Errorf("oauth: RedirectPath %q must start with /", c.RedirectPath)
	case c.Port < 0 || c.Port > 65535:
		return nil, nil, fmt.Errorf("oauth: Port %d is not a TCP port", c.Port)
	case c.Timeout < 0:
		return nil, nil, fmt.Errorf("oauth: Timeout is %v: it must be positive, or zero for %v", c.Timeout, DefaultLoginTimeout)
	}
	return auth, token, c.Settings.validate()
}

// AuthCode runs the authorization code flow with PKCE through a loopback
// redirect, and refreshes the tokens it gets. Create it with
// [NewAuthCode]; it is safe for concurrent use, but run one Login at a
// time: each opens a browser.
type AuthCode struct {
	ep      *endpoint
	auth    *url.URL
	cfg     AuthCodeConfig // with defaults filled in
	timeout time.Duration
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
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	return &AuthCode{ep: newEndpoint(token, cfg.Client, cfg.Settings), auth: auth, cfg: cfg, timeout: cfg.Timeout}, nil
}

// Login signs the user in: it listens on 127.0.0.1, opens the browser at
// the authorization endpoint with an S256 code challenge and a random
// state, takes exactly one redirect (then closes the listener), checks its
// state, and trades the code for a token. The browser shows a short page
// saying whether it worked, with the server's error if any.
//
// Errors: [ErrLoginTimeout] after the timeout, [ErrStateMismatch], an
// [*Error] with the server's error= (such as access_denied), or the token
// endpoint's error.
func (a *AuthCode) Login(ctx context.Context) (*oauth2.Token, error) {
	cb, err := listen(a.cfg.Port, a.cfg.RedirectPath, rand.Text())
	if err != nil {
		return nil, err
	}
	defer cb.close()
	verifier := oauth2.GenerateVerifier()
	authURL := a.authURL(cb.redirectURI, cb.state, verifier)
	stopOpener := a.startOpener(ctx, authURL)
	defer stopOpener()

	waitCtx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	code, err := cb.wait(waitCtx, endpointName(a.auth))
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, fmt.Errorf("%w within %v: run the login again", ErrLoginTimeout, a.timeout)
	case err != nil:
		return nil, err
	}
	form := withParams(a.cfg.Params)
	form.Set("code", code)
	form.Set("redirect_uri", cb.redirectURI)
	form.Set("code_verifier", verifier)
	return a.ep.token(ctx, "authorization_code", form, code, verifier)
}

// authURL builds the authorization request (RFC 6749 4.1.1, RFC 7636 4.3).
func (a *AuthCode) authURL(redirectURI, state, verifier string) string {
	u := *a.auth
	q := u.Query()
	for k, v := range a.cfg.AuthParams {
		q[k] = append([]string(nil), v...)
	}
	q.Set("response_type", "code")
	q.Set("client_id", a.cfg.Client.ID)
	q.Set("redirect_uri", redirectURI)
	if len(a.cfg.Scopes) > 0 {
		q.Set("scope", strings.Join(a.cfg.Scopes, " "))
	}
	q.Set("state", state)
	q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String()
}

// startOpener opens the browser in a goroutine and returns the function
// that ends it: it lets the opener finish for up to openerGrace, then
// cancels it and waits for it.
func (a *AuthCode) startOpener(ctx context.Context, authURL string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.cfg.OpenBrowser(ctx, authURL); err != nil && ctx.Err() == nil {
			fmt.Fprintf(a.cfg.Output, "Open this address in a browser to sign in:\n\n    %s\n\n", authURL)
		}
	}()
	return func() {
		t := time.NewTimer(openerGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		cancel()
		<-done
	}
}

// Refresh trades current's refresh token for a new token, keeping it when
// the server sends no new one. Without a refresh token it fails with
// [ErrNoRefreshToken], permanently: run Login again.
func (a *AuthCode) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.RefreshToken == "" {
		return nil, permanentError{ErrNoRefreshToken}
	}
	return refreshGrant(ctx, a.ep, current.RefreshToken, nil, a.cfg.Params)
}
