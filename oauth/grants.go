package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// ClientCredentialsConfig configures the client_credentials grant (RFC 6749
// 4.4): a client gets tokens for itself.
type ClientCredentialsConfig struct {
	// TokenURL is the token endpoint. Required unless Metadata gives it:
	// https, or http to a loopback address.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills TokenURL when empty, and the configuration is
	// checked against what the server says it supports.
	Metadata *Metadata

	// Client identifies and authenticates the client. Required, with a
	// Method other than AuthNone.
	Client ClientAuth

	// Scopes are the scopes requested. Optional: none means the server's
	// default.
	Scopes []string

	// Params are extra form parameters of the token request, such as
	// audience or resource (RFC 8707). Optional. They must not repeat the
	// grant's own parameters.
	Params url.Values

	Settings
}

func (c *ClientCredentialsConfig) validate() (*url.URL, error) {
	u, err := c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client)
	if err != nil {
		return nil, err
	}
	if err := c.Client.validate(false); err != nil {
		return nil, err
	}
	if c.Client.Method == AuthNone {
		return nil, errors.New("oauth: client_credentials needs client authentication: AuthNone cannot be used")
	}
	if err := checkParams(c.Params); err != nil {
		return nil, err
	}
	if err := c.Metadata.supports("client_credentials", c.Client, c.DPoP); err != nil {
		return nil, err
	}
	return u, c.Settings.validateFor(u)
}

// ClientCredentials gets tokens with the client_credentials grant. Create
// it with [NewClientCredentials]; it is safe for concurrent use. Wrap it in
// a Refresher with [NewRefresher] to keep a token alive.
type ClientCredentials struct {
	ep     *endpoint
	scopes []string
	params url.Values
}

// NewClientCredentials checks cfg and returns a source of client
// credentials tokens. It does no I/O.
func NewClientCredentials(cfg ClientCredentialsConfig) (*ClientCredentials, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &ClientCredentials{ep: newEndpoint(u, cfg.Client, cfg.Settings), scopes: cfg.Scopes, params: cfg.Params}, nil
}

// Token requests a new token. It does not cache: use a Refresher for that.
func (c *ClientCredentials) Token(ctx context.Context) (*oauth2.Token, error) {
	form := withParams(c.params)
	setScopes(form, c.scopes)
	return c.ep.token(ctx, "client_credentials", form)
}

// Refresh requests a new token; current is ignored. It is the
// tokenrefresh.RefreshFunc of the grant.
func (c *ClientCredentials) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	return c.Token(ctx)
}

// PasswordConfig configures the resource owner password grant (RFC 6749
// 4.3): the program holds the user's password and trades it for tokens.
// RFC 9700 2.4 forbids this grant for new designs: it exists for legacy
// servers, such as Climate Engine's, that offer nothing else to scripts.
type PasswordConfig struct {
	// TokenURL is the token endpoint. Required unless Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills TokenURL when empty, and the configuration is
	// checked against what the server says it supports.
	Metadata *Metadata

	// Username and Password are the user's credentials. Required.
	Username string
	Password secret.String

	// Client authenticates the client. Optional: the zero value sends no
	// client credentials, as Climate Engine expects.
	Client ClientAuth

	// Scopes are the scopes requested. Optional.
	Scopes []string

	// Params are extra form parameters of the login and of the refresh
	// request, such as resource (RFC 8707). Optional.
	Params url.Values

	Settings
}

func (c *PasswordConfig) validate() (*url.URL, error) {
	u, err := c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client)
	if err != nil {
		return nil, err
	}
	if c.Username == "" || c.Password.IsZero() {
		return nil, errors.New("oauth: the password grant needs Username and Password")
	}
	if err := c.Client.validate(true); err != nil {
		return nil, err
	}
	if err := checkParams(c.Params); err != nil {
		return nil, err
	}
	if err := c.Metadata.supports("password", c.Client, c.DPoP); err != nil {
		return nil, err
	}
	return u, c.Settings.validateFor(u)
}

// Password gets tokens with the password grant. Create it with
// [NewPassword]; it is safe for concurrent use.
type Password struct {
	ep       *endpoint
	username string
	password secret.String
	scopes   []string
	params   url.Values
}

// NewPassword checks cfg and returns a password-grant source. It does no
// I/O.
func NewPassword(cfg PasswordConfig) (*Password, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &Password{ep: newEndpoint(u, cfg.Client, cfg.Settings), username: cfg.Username,
		password: cfg.Password, scopes: cfg.Scopes, params: cfg.Params}, nil
}

// Token logs in with the held credentials and returns a new token.
func (p *Password) Token(ctx context.Context) (*oauth2.Token, error) {
	form := withParams(p.params)
	form.Set("username", p.username)
	form.Set("password", p.password.Reveal())
	setScopes(form, p.scopes)
	return p.ep.token(ctx, "password", form, p.password.Reveal())
}

// Refresh returns the next token: with current's refresh token if it has
// one (RFC 6749 6, keeping it if the server sends no new one), and by
// logging in again with the held credentials when it has none or the
// server refuses it with invalid_grant.
func (p *Password) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.RefreshToken == "" {
		return p.Token(ctx)
	}
	tok, err := refreshGrant(ctx, p.ep, current.RefreshToken, p.scopes, p.params)
	if errors.Is(err, ErrInvalidGrant) {
		p.ep.s.Logger.LogAttrs(ctx, slog.LevelInfo, "oauth: refresh token refused; logging in again with the password")
		return p.Token(ctx)
	}
	return tok, err
}

// reserved are the form parameters the grants set themselves.
var reserved = []string{
	"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type",
	"username", "password", "refresh_token", "code", "code_verifier", "redirect_uri", "scope",
	"assertion", "device_code",
}

// checkParams refuses extra parameters that would override the grant's.
func checkParams(p url.Values) error {
	for _, k := range reserved {
		if p.Has(k) {
			return fmt.Errorf("oauth: Params must not set %s: the grant sets it (use the Config fields)", k)
		}
	}
	return nil
}

// withParams returns a new form holding a copy of p.
func withParams(p url.Values) url.Values {
	form := url.Values{}
	for k, v := range p {
		form[k] = append([]string(nil), v...)
	}
	return form
}

// setScopes sets the scope parameter (RFC 6749 3.3) if there are scopes.
func setScopes(form url.Values, scopes []string) {
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
}
