package login

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
)

const (
	// DefaultTokenLifetime is the lifetime given to a token when the
	// answer has no expires_in and the access token is no JWT with an exp
	// claim: an hour, the most common lifetime, as in package oauth. A
	// token that dies sooner is answered 401 and replaced then; a token
	// is never taken to live forever.
	DefaultTokenLifetime = time.Hour

	// DefaultLogoutTimeout bounds the logout that Close sends, which has
	// no caller's context (Logout takes one): a server that has not
	// answered in 10 s will not log anyone out.
	DefaultLogoutTimeout = 10 * time.Second

	// MaxResponseBytes bounds the login, refresh and logout answers read:
	// a token answer is a few kilobytes; 1 MiB is the module's limit.
	MaxResponseBytes = 1 << 20
)

// The defaults of TokenConfig's lists, as documented there.
var (
	defaultAccessTokenFields  = []string{"access_token", "token", "accessToken"}
	defaultRefreshTokenFields = []string{"refresh_token", "refreshToken"}
	defaultRefreshCodes       = []string{"token-expired", "invalid_token"}
	defaultReloginCodes       = []string{"token-invalid"}
	defaultPermissionCodes    = []string{"authorisation-required", "insufficient_scope"}
	// refusedCodes, from a refresh endpoint, mean the refresh token is
	// dead (besides any 401, and the Refresh and Relogin codes).
	refusedCodes = []string{"token-expired", "token-invalid", "invalid_grant", "invalid_token"}
)

// TokenKind names one of the two tokens of a login.
type TokenKind string

// The tokens a login answers with.
const (
	AccessToken  TokenKind = "access"
	RefreshToken TokenKind = "refresh"
)

// TokenRequest describes a request that presents a token: the refresh
// (seed 004's GET /users/v1/generate_tokens with the refresh token as
// bearer) or the logout. The zero value of each optional field has a
// documented default.
type TokenRequest struct {
	// Path is the endpoint, resolved as [Request.Path] is. Empty means the
	// API has no such endpoint.
	Path string

	// Method is the HTTP method. Optional: empty means POST.
	Method string

	// Token is the token presented. Optional: empty means RefreshToken for
	// the refresh and AccessToken for the logout.
	Token TokenKind

	// Encoding is how the token is presented. Optional: empty sends it as
	// "Authorization: Bearer <token>"; Form or JSON send it as the body
	// field Field.
	Encoding Encoding

	// Field names the body field of the token with Form or JSON.
	// Optional: empty means "refresh_token" or "access_token".
	Field string
}

func (r TokenRequest) withDefaults(token TokenKind) TokenRequest {
	if r.Path == "" {
		return r
	}
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	if r.Token == "" {
		r.Token = token
	}
	if r.Field == "" && r.Encoding != "" {
		r.Field = string(r.Token) + "_token"
	}
	return r
}

func (r TokenRequest) validate(name string) error {
	switch {
	case r.Path == "":
		return nil
	case r.Token != AccessToken && r.Token != RefreshToken:
		return fmt.Errorf("login: %s.Token is %q: use login.AccessToken or login.RefreshToken", name, r.Token)
	case r.Encoding != "" && r.Encoding != Form && r.Encoding != JSON:
		return fmt.Errorf("login: %s.Encoding is %q: leave it empty for a bearer header, or use login.Form or login.JSON", name, r.Encoding)
	case r.Encoding != "" && !hasBody(r.Method):
		return fmt.Errorf("login: %s sends the token in a %s body, which a %s request has not: use POST, or a bearer header (empty Encoding)", name, r.Encoding, r.Method)
	}
	return checkPath(name+".Path", r.Path)
}

// TokenConfig describes a login API that hands out tokens, as in seed
// 004: a login that answers with an access token and a refresh token, a
// refresh request that presents the refresh token for new ones, and
// optionally a logout.
type TokenConfig struct {
	// Login is the login request. Required with Credentials. Its
	// Encoding defaults to JSON.
	Login Request

	// Credentials log in, and log in again when the refresh token has
	// expired or the server calls the access token invalid. Optional if
	// Refresher.Initial or Refresher.Store supplies tokens; without them
	// those cases give an error matching [ErrLoginRequired].
	Credentials Credentials

	// Refresh trades the refresh token for new tokens. Optional: without a
	// Path the client logs in again instead (which needs Credentials).
	Refresh TokenRequest

	// Logout is sent by [Client.Close] with the current token. Optional:
	// without a Path, Close sends nothing.
	Logout TokenRequest

	// AccessTokenFields and RefreshTokenFields name the fields of the
	// login and refresh answers that hold the tokens; the first present
	// wins, and "data.token" reaches into a nested object. Optional: nil
	// means access_token, token, accessToken and refresh_token,
	// refreshToken. An answer without a refresh token keeps the old one.
	AccessTokenFields, RefreshTokenFields []string

	// ExpiresInField names the field with the access token's lifetime in
	// seconds. Optional: empty means "expires_in". The expiry is the
	// earlier of it and the exp claim of an access token that is a JWT,
	// read without verifying its signature (the client does not hold the
	// key and only schedules with it), or else DefaultLifetime.
	ExpiresInField string

	// DefaultLifetime is the lifetime of a token whose expiry is unknown.
	// Optional: zero means DefaultTokenLifetime.
	DefaultLifetime time.Duration

	// RefreshCodes are the error codes ([bearer.APIError.Code]) that mean
	// the access token expired: the token is refreshed and the request
	// sent once more, as after any 401 with no code listed here or below.
	// Optional: nil means token-expired and invalid_token (RFC 6750 3.1).
	RefreshCodes []string

	// ReloginCodes are the error codes that mean the access token is no
	// good (revoked, or signed with a key the server dropped): the client
	// logs in again and sends the request once more. Optional: nil means
	// token-invalid.
	ReloginCodes []string

	// PermissionCodes are the error codes that mean the account lacks a
	// role or scope, whatever the status: the request fails with a
	// [*PermissionError], as after any 403, and is neither retried nor a
	// reason to refresh. Optional: nil means authorisation-required (seed
	// 004, sent with a 401) and insufficient_scope (RFC 6750 3.1).
	PermissionCodes []string

	// Refresher configures the Refresher that keeps the token alive:
	// its schedule, Store, Clock and Logger (when nil, the client's: see
	// [WithClock], [WithLogger]). Its Refresh must be nil (the client sets
	// it); its Initial may hold tokens to start from, such as a sign-up's
	// (without an Expiry, the JWT's exp is used).
	Refresher tokenrefresh.Config
}

func (c TokenConfig) withDefaults() TokenConfig {
	if c.Login.Path != "" {
		c.Login = c.Login.withDefaults(JSON)
	}
	c.Refresh = c.Refresh.withDefaults(RefreshToken)
	c.Logout = c.Logout.withDefaults(AccessToken)
	pick := func(v, def []string) []string {
		if v == nil {
			return def
		}
		return v
	}
	c.AccessTokenFields = pick(c.AccessTokenFields, defaultAccessTokenFields)
	c.RefreshTokenFields = pick(c.RefreshTokenFields, defaultRefreshTokenFields)
	c.RefreshCodes = pick(c.RefreshCodes, defaultRefreshCodes)
	c.ReloginCodes = pick(c.ReloginCodes, defaultReloginCodes)
	c.PermissionCodes = pick(c.PermissionCodes, defaultPermissionCodes)
	if c.ExpiresInField == "" {
		c.ExpiresInField = "expires_in"
	}
	if c.DefaultLifetime == 0 {
		c.DefaultLifetime = DefaultTokenLifetime
	}
	return c
}

func (c *TokenConfig) validate() error {
	creds := c.Credentials
	switch {
	case (creds.Username == "") != creds.Password.IsZero():
		return errors.New("login: TokenConfig.Credentials needs both a Username and a Password, or neither")
	case creds.set() && c.Login.Path == "":
		return errors.New("login: TokenConfig.Login.Path is required with Credentials: the path of the login endpoint")
	case !creds.set() && c.Login.Path != "":
		return errors.New("login: TokenConfig.Login is set but Credentials are not: set both, or neither to start from Refresher.Initial")
	case !creds.set() && c.Refresher.Initial.IsZero() && c.Refresher.Store == nil:
		return errors.New("login: TokenConfig needs Credentials to log in, or tokens to start from in Refresher.Initial or Refresher.Store")
	case c.Refresher.Refresh != nil:
		return errors.New("login: TokenConfig.Refresher.Refresh must be nil: the client refreshes through TokenConfig.Refresh")
	case c.DefaultLifetime < 0:
		return fmt.Errorf("login: TokenConfig.DefaultLifetime is %v: it must be positive, or zero for %v", c.DefaultLifetime, DefaultTokenLifetime)
	case len(c.AccessTokenFields) == 0 || slices.Contains(c.AccessTokenFields, ""):
		return errors.New("login: TokenConfig.AccessTokenFields must name at least one field, and no empty one")
	case slices.Contains(c.RefreshTokenFields, ""):
		return errors.New("login: TokenConfig.RefreshTokenFields must not name an empty field")
	}
	if creds.set() {
		if err := c.Login.validate("Login"); err != nil {
			return err
		}
	}
	if err := c.Refresh.validate("Refresh"); err != nil {
		return err
	}
	return c.Logout.validate("Logout")
}
