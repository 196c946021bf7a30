package oauth

import (
	"context"
	"errors"
	"net/url"
	"sync"

	"github.com/bearer-go/bearer/internal/sendtrace"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// RefreshTokenConfig configures the refresh_token grant (RFC 6749 6) on
// its own: for a refresh token obtained elsewhere.
type RefreshTokenConfig struct {
	// TokenURL is the token endpoint. Required unless Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills TokenURL when empty, and the configuration is
	// checked against what the server says it supports.
	Metadata *Metadata

	// Client authenticates the client. Optional: the zero value sends no
	// client credentials; public clients use AuthNone with their id.
	Client ClientAuth

	// RefreshToken is the token to start from when Refresh is given no
	// current token (a first start with nothing stored). Optional.
	RefreshToken secret.String

	// Scopes narrow the scope of new tokens (RFC 6749 6). Optional: none
	// keeps the scope of the grant.
	Scopes []string

	// Params are extra form parameters of the refresh request, such as
	// resource (RFC 8707 2.2) or audience. Optional. They must not repeat
	// the grant's own parameters.
	Params url.Values

	Settings
}

func (c *RefreshTokenConfig) validate() (*url.URL, error) {
	u, err := c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client)
	if err != nil {
		return nil, err
	}
	if err := c.Client.validate(true); err != nil {
		return nil, err
	}
	if err := checkParams(c.Params); err != nil {
		return nil, err
	}
	if err := c.Metadata.supports("refresh_token", c.Client, c.DPoP); err != nil {
		return nil, err
	}
	return u, c.Settings.validateFor(u)
}

// RefreshToken rotates tokens with the refresh_token grant. Create it with
// [NewRefreshToken]; it is safe for concurrent use.
type RefreshToken struct {
	ep      *endpoint
	initial secret.String
	scopes  []string
	params  url.Values

	mu     sync.Mutex    // guards latest
	latest secret.String // the newest refresh token the server sent; zero before the first
}

// NewRefreshToken checks cfg and returns a refresh-token source. It does
// no I/O.
func NewRefreshToken(cfg RefreshTokenConfig) (*RefreshToken, error) {
	u, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	return &RefreshToken{ep: newEndpoint(u, cfg.Client, cfg.Settings), initial: cfg.RefreshToken, scopes: cfg.Scopes, params: cfg.Params}, nil
}

// ErrNoRefreshToken is returned by Refresh when there is no refresh token
// to use: the user must log in again. It is permanent for tokenrefresh.
var ErrNoRefreshToken = errors.New("oauth: no refresh token: log in again")

// Refresh trades current's refresh token for a new token. When current is
// nil or has none, it uses the newest refresh token this RefreshToken has
// received, else the configured one: a refresh token the server rotated
// is never presented again, which would make a server with reuse
// detection revoke the whole grant (RFC 9700 4.14.2). When the server
// rotates refresh tokens the new one replaces the old in the returned
// token, which a tokenrefresh.Refresher saves to its Store before using
// it; when it sends none, the old one is kept (RFC 6749 6). A refused
// refresh token gives an [*Error] matching [ErrInvalidGrant], which is
// permanent.
func (r *RefreshToken) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	rt := r.next(current)
	if rt == "" {
		return nil, permanentError{ErrNoRefreshToken}
	}
	tok, err := refreshGrant(ctx, r.ep, rt, r.scopes, r.params)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.latest = secret.New(tok.RefreshToken)
	r.mu.Unlock()
	return tok, nil
}

// next returns the refresh token to present: current's, else the newest
// received, else the configured one.
func (r *RefreshToken) next(current *oauth2.Token) string {
	if current != nil && current.RefreshToken != "" {
		return current.RefreshToken
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.latest.IsZero() {
		return r.latest.Reveal()
	}
	return r.initial.Reveal()
}

// refreshGrant runs the refresh_token grant with rt and the extra
// parameters params. A failure after which the server may have rotated rt
// (see refreshError) is marked tokenrefresh.InDoubt.
func refreshGrant(ctx context.Context, ep *endpoint, rt string, scopes []string, params url.Values) (*oauth2.Token, error) {
	form := withParams(params)
	form.Set("refresh_token", rt)
	setScopes(form, scopes)
	ctx, sent := sendtrace.Track(ctx)
	tok, err := ep.token(ctx, "refresh_token", form, rt)
	if err != nil {
		return nil, refreshError(err, sent)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = rt
	}
	return tok, nil
}

// refreshError marks err, the failure of a refresh request, as in doubt
// when a server that rotates refresh tokens may have applied it (see
// sendtrace.Tracker.MaybeApplied).
func refreshError(err error, sent *sendtrace.Tracker) error {
	status := 0
	if oe := (*Error)(nil); errors.As(err, &oe) {
		status = oe.StatusCode
	}
	if sent.MaybeApplied(status, err) {
		return tokenrefresh.InDoubt(err)
	}
	return err
}

// permanentError marks an error of this package that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string   { return e.err.Error() }
func (e permanentError) Unwrap() error   { return e.err }
func (e permanentError) Permanent() bool { return true }
