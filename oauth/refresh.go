package oauth

import (
	"context"
	"errors"
	"net/url"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// RefreshTokenConfig configures the refresh_token grant (RFC 6749 6) on
// its own: for a refresh token obtained elsewhere.
type RefreshTokenConfig struct {
	// TokenURL is the token endpoint. Required.
	TokenURL string

	// Client authenticates the client. Optional: the zero value sends no
	// client credentials; public clients use AuthNone with their id.
	Client ClientAuth

	// RefreshToken is the token to start from when Refresh is given no
	// current token (a first start with nothing stored). Optional.
	RefreshToken secret.String

	// Scopes narrow the scope of new tokens (RFC 6749 6). Optional: none
	// keeps the scope of the grant.
	Scopes []string

	Settings
}

func (c *RefreshTokenConfig) validate() (*url.URL, error) {
	u, err := checkURL("TokenURL", c.TokenURL, c.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if err := c.Client.validate(true); err != nil {
		return nil, err
	}
	return u, c.Settings.validate()
}

// RefreshToken rotates tokens with the refresh_token grant. Create it with
// [NewRefreshToken]; it is safe for concurrent use.
type RefreshToken struct {
	ep      *endpoint
	initial secret.String
	scopes  []string
}

// NewRefreshToken checks cfg and returns a refresh-token source. It does
// no I/O.
func NewRefreshToken(cfg RefreshTokenConfig) (*RefreshToken, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &RefreshToken{ep: newEndpoint(u, cfg.Client, cfg.Settings), initial: cfg.RefreshToken, scopes: cfg.Scopes}, nil
}

// ErrNoRefreshToken is returned by Refresh when there is no refresh token
// to use: the user must log in again. It is permanent for tokenrefresh.
var ErrNoRefreshToken = errors.New("oauth: no refresh token: log in again")

// Refresh trades current's refresh token (or the configured one when
// current is nil or has none) for a new token. When the server rotates
// refresh tokens the new one replaces the old in the returned token, which
// a tokenrefresh.Refresher saves to its Store before using it; when it
// sends none, the old one is kept (RFC 6749 6). A refused refresh token
// gives an [*Error] matching [ErrInvalidGrant], which is permanent.
func (r *RefreshToken) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	rt := r.initial.Reveal()
	if current != nil && current.RefreshToken != "" {
		rt = current.RefreshToken
	}
	if rt == "" {
		return nil, permanentError{ErrNoRefreshToken}
	}
	return refreshGrant(ctx, r.ep, rt, r.scopes)
}

// refreshGrant runs the refresh_token grant with rt.
func refreshGrant(ctx context.Context, ep *endpoint, rt string, scopes []string) (*oauth2.Token, error) {
	form := url.Values{"refresh_token": {rt}}
	setScopes(form, scopes)
	tok, err := ep.token(ctx, "refresh_token", form, rt)
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = rt
	}
	return tok, nil
}

// permanentError marks an error of this package that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }
