package login

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
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
	defaultPermissionCodes    = []string{"authorisation-required", "insufficient_scope"}
	defaultAlreadyLoggedIn    = []string{"user-already-logged-in"}
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

	// TokenQuery are query parameters whose value is one of the current
	// tokens. Optional. Seed 004's refresh needs the access token it
	// replaces: {"old_access_token": login.AccessToken}. The token is then
	// in the URL, which servers and proxies may log: use it only where the
	// API demands it. The client removes it from its own errors and logs.
	TokenQuery map[string]TokenKind

	// Query are extra query parameters with fixed values, such as an API
	// version. Optional. They must not be secret: a name that says it is
	// (client_secret, api_key, ...) is refused.
	Query map[string]string

	// Fields are extra body fields with fixed values, sent with the token
	// field; they need Encoding Form or JSON. Optional. They must not be
	// secret, as Query.
	Fields map[string]string

	// Header are extra request headers, such as an API version or a
	// client id. Optional. They must not replace the headers the client
	// sets (Authorization, Cookie, Content-Type, Host), nor be secret.
	Header map[string]string
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
	case len(r.Fields) > 0 && r.Encoding == "":
		return fmt.Errorf("login: %s.Fields need a body: set %s.Encoding to login.Form or login.JSON", name, name)
	}
	if err := r.validateParams(name); err != nil {
		return err
	}
	return checkPath(name+".Path", r.Path)
}

// validateParams checks the extra parameters of r.
func (r TokenRequest) validateParams(name string) error {
	for k, kind := range r.TokenQuery {
		if k == "" || (kind != AccessToken && kind != RefreshToken) {
			return fmt.Errorf("login: %s.TokenQuery[%q] is %q: name a parameter, and use login.AccessToken or login.RefreshToken", name, k, kind)
		}
		if _, dup := r.Query[k]; dup {
			return fmt.Errorf("login: %s.Query and TokenQuery both set %q", name, k)
		}
	}
	for field, m := range map[string]map[string]string{"Query": r.Query, "Fields": r.Fields, "Header": r.Header} {
		for k := range m {
			switch {
			case k == "":
				return fmt.Errorf("login: %s.%s has an empty name", name, field)
			case redact.IsSensitiveParam(k):
				return fmt.Errorf("login: %s.%s[%q] looks secret: this package sends only the tokens and credentials it holds as secrets", name, field, k)
			case field == "Fields" && k == r.Field:
				return fmt.Errorf("login: %s.Fields must not set %q: it is the token's field", name, k)
			case field == "Header" && reservedHeader(k):
				return fmt.Errorf("login: %s.Header must not set %s: the client sets it", name, http.CanonicalHeaderKey(k))
			}
		}
	}
	return nil
}

// reservedHeader reports whether the client sets header k itself.
func reservedHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Authorization", "Cookie", "Content-Type", "Content-Length", "Host":
		return true
	}
	return false
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

	// Logout is sent by [Client.Close] with the current token, and sent
	// again while the server fails (no answer, 408, 429, 5xx), from
	// [LogoutRetryMin] to [LogoutRetryMax] apart, within Close's
	// [DefaultLogoutTimeout] or Logout's context. Optional: without a
	// Path, Close sends nothing.
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
	// good and a refresh cannot help: the client logs in again, without
	// trying a refresh, and sends the request once more. Optional: nil
	// means none. Seed 004's token-invalid is not one: its refresh works
	// for an access token that was revoked (by a logout elsewhere, say), so
	// it is handled as any other 401: a refresh, then a login only if the
	// refresh token is refused too.
	ReloginCodes []string

	// AlreadyLoggedInCodes are the error codes with which the login
	// endpoint refuses a login because the user has a session already:
	// the login fails with [ErrAlreadyLoggedIn], not as wrong credentials,
	// and is not sent again. Optional: nil means user-already-logged-in
	// (seed 004, whose server allows one session per user until it logs
	// out).
	AlreadyLoggedInCodes []string

	// PermissionCodes are the error codes that mean the account lacks a
	// role or scope, whatever the status: the request fails with a
	// [*PermissionError], as after any 403, and is neither retried nor a
	// reason to refresh. Optional: nil means authorisation-required (seed
	// 004, sent with a 401) and insufficient_scope (RFC 6750 3.1).
	PermissionCodes []string

	// Refresher configures the Refresher that keeps the token alive:
	// its schedule, Store, Clock and Logger (when nil, the client's: see
	// [WithClock], [WithLogger]). Its Refresh must be nil (the client sets
	// it); its Initial may hold tokens to start from, such as those of a
	// login the program made itself (without an Expiry, the JWT's exp is
	// used).
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
	c.AlreadyLoggedInCodes = pick(c.AlreadyLoggedInCodes, defaultAlreadyLoggedIn)
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
