package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/internal/expiry"
	"github.com/bearer-go/bearer/secret"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// NewTokenClient returns a client for the API at baseURL that logs in with
// cfg and keeps the access token alive with a tokenrefresh.Refresher: it
// refreshes it before it expires, in the background, without making
// callers wait while it is valid. ctx bounds only the initial load from
// cfg.Refresher.Store. opts configure the underlying [bearer.Client]s (one
// for the API, one without retries for the login, refresh and logout
// requests, since a refresh that reached the server has used up its
// refresh token); they must not include bearer.WithTokenSource.
//
// The first login starts at once in the background; [Client.Login] waits
// for it. Answers from the API are handled by their error code (see
// TokenConfig): an expired token is refreshed, an invalid one makes the
// client log in again, each followed by one more try of the request; a
// permission error is a [*PermissionError], never retried. A refresh token
// that has expired or was revoked makes the client log in again with
// cfg.Credentials, or fail with [ErrLoginRequired] without them. Refused
// credentials are sent once, and fail with [ErrCredentialsRefused].
//
// Credentials and tokens go over https, or plain http to a loopback
// address; pass bearer.WithInsecureHTTP to allow other plain http hosts.
// Close the client when done: it logs out if cfg.Logout is set.
func NewTokenClient(ctx context.Context, baseURL string, cfg TokenConfig, opts ...bearer.Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	own := opts[:len(opts):len(opts)]
	plain, err := bearer.NewClient(baseURL, append(own, bearer.WithRetryMax(0), bearer.WithMaxResponseBytes(MaxResponseBytes))...)
	if err != nil {
		return nil, err
	}
	if err := checkSecure(plain, baseURL, opts); err != nil {
		return nil, err
	}
	t := &tokens{cfg: cfg, plain: plain, logger: cfg.Logger, now: time.Now}
	if cfg.Refresher.Clock != nil {
		t.now = cfg.Refresher.Clock.Now
	}
	rcfg := cfg.Refresher
	if !rcfg.Initial.IsZero() {
		t.remember(rcfg.Initial.Reveal())
		rcfg.Initial = secret.New(withJWTExpiry(rcfg.Initial.Reveal()))
	}
	rcfg.Refresh = t.refresh
	r, err := tokenrefresh.New(ctx, rcfg)
	if err != nil {
		return nil, err
	}
	t.r = r
	api, err := bearer.NewClient(baseURL, append(own, bearer.WithTokenSource(source{r}))...)
	if err != nil {
		r.Close()
		return nil, err
	}
	return &Client{api: api, auth: t, logger: t.logger}, nil
}

// withJWTExpiry returns tok, or a copy of it with the exp of its JWT
// access token as its expiry if it has none, so that tokens handed over
// from a sign-up are refreshed on time.
func withJWTExpiry(tok *oauth2.Token) *oauth2.Token {
	if !tok.Expiry.IsZero() {
		return tok
	}
	exp, ok := expiry.JWTExpiry(tok.AccessToken)
	if !ok {
		return tok
	}
	c := *tok
	c.Expiry = exp
	return &c
}

// source gives the API client its tokens without the Refresher's
// Invalidate, so that bearer.Transport does not refresh after every 401:
// the Client decides by the server's error code.
type source struct{ r *tokenrefresh.Refresher }

func (s source) Token(ctx context.Context) (*oauth2.Token, error) { return s.r.Token(ctx) }

// maxSecrets bounds how many recent token values are kept for redaction.
const maxSecrets = 8

// tokens is the authenticator of a login API with tokens.
type tokens struct {
	cfg    TokenConfig
	plain  *bearer.Client // for login, refresh and logout: no token source, no retries
	r      *tokenrefresh.Refresher
	logger *slog.Logger
	now    func() time.Time
	closed atomic.Bool

	mu      sync.Mutex // guards relogin, recent
	relogin string     // an access token the server called invalid: Refresh logs in instead of refreshing it
	recent  []string   // recent token values, kept out of errors
}

func (t *tokens) ready(ctx context.Context) (ticket, error) {
	if t.closed.Load() {
		return ticket{}, ErrClosed
	}
	tok, err := t.r.Token(ctx)
	if err != nil {
		return ticket{}, &bearer.TokenError{Err: err}
	}
	return ticket{token: tok.AccessToken}, nil
}

func (t *tokens) deny(e *bearer.APIError) error {
	if e.StatusCode == http.StatusForbidden || (e.Code != "" && slices.Contains(t.cfg.PermissionCodes, e.Code)) {
		return &PermissionError{Response: redactAPIError(e, t.secrets())}
	}
	return nil
}

func (t *tokens) recover(ctx context.Context, tk ticket, e *bearer.APIError) (bool, error) {
	switch {
	case e.Code != "" && slices.Contains(t.cfg.ReloginCodes, e.Code):
		t.logger.Info("login: the server called the access token invalid; logging in again", rejection(e)...)
		t.mu.Lock()
		t.relogin = tk.token
		t.mu.Unlock()
	case e.StatusCode == http.StatusUnauthorized || (e.Code != "" && slices.Contains(t.cfg.RefreshCodes, e.Code)):
		t.logger.Info("login: the server rejected the access token; refreshing it", rejection(e)...)
	default:
		return false, nil
	}
	t.r.Invalidate(&oauth2.Token{AccessToken: tk.token})
	return true, nil
}

// reloginDue reports whether the server called access invalid. A mark
// about another token is stale (a new token has replaced that one) and is
// forgotten; a mark about access stays until access is replaced, so a
// login that fails is tried again as a login.
func (t *tokens) reloginDue(access string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.relogin != access {
		t.relogin = ""
	}
	return t.relogin != ""
}

// refresh is the Refresher's RefreshFunc: a login when there is no token,
// when the server called it invalid, or when there is no way to refresh
// it; a refresh otherwise, falling back to a login if the refresh token is
// refused.
func (t *tokens) refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	switch {
	case current == nil:
		return t.login(ctx, "")
	case t.reloginDue(current.AccessToken):
		return t.login(ctx, "the server called the access token invalid (revoked, or not the server's)")
	case t.cfg.Refresh.Path == "":
		return t.login(ctx, "the token is due and TokenConfig.Refresh has no Path")
	case t.cfg.Refresh.Token == RefreshToken && current.RefreshToken == "":
		return t.login(ctx, "the token is due and there is no refresh token")
	}
	tok, err := t.refreshWith(ctx, current)
	var ae *bearer.APIError
	if err == nil || !errors.As(err, &ae) {
		return tok, err
	}
	if perr := t.deny(ae); perr != nil {
		return nil, &Error{Op: "refresh", Err: perr}
	}
	if !t.refused(ae) {
		return nil, failure("refresh", err, nil, "check TokenConfig.Refresh (path, method, how the token is sent)", t.secrets())
	}
	why := "the server refused the refresh token (" + codeOrStatus(ae) + "): it has expired or was revoked"
	if !t.cfg.Credentials.set() {
		return nil, &Error{Op: "refresh", Err: cleanError(err, t.secrets()), kind: ErrLoginRequired,
			advice: "the refresh token has expired or was revoked, and no credentials are held to log in again: log in and start from the new tokens"}
	}
	return t.login(ctx, why)
}

// refused reports whether an answer of the refresh endpoint says its
// token is dead.
func (t *tokens) refused(e *bearer.APIError) bool {
	if e.StatusCode == http.StatusUnauthorized {
		return true
	}
	return e.Code != "" && (slices.Contains(refusedCodes, e.Code) || slices.Contains(t.cfg.RefreshCodes, e.Code) ||
		slices.Contains(t.cfg.ReloginCodes, e.Code))
}

func codeOrStatus(e *bearer.APIError) string {
	if e.Code != "" {
		return e.Code
	}
	return fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// login logs in with the credentials; why, if set, says why a token is
// being replaced by a login.
func (t *tokens) login(ctx context.Context, why string) (*oauth2.Token, error) {
	if !t.cfg.Credentials.set() {
		if why == "" {
			why = "there is no token"
		}
		return nil, &Error{Op: "login", kind: ErrLoginRequired,
			advice: why + ", and no credentials are held to log in: log in and start from the new tokens"}
	}
	if why != "" {
		t.logger.Info("login: logging in again", "reason", why)
	}
	issued := t.now()
	req, err := credentialRequest(ctx, t.plain, t.cfg.Login, t.cfg.Credentials)
	if err != nil {
		return nil, &Error{Op: "login", Err: err, final: true, advice: "check TokenConfig.Login"}
	}
	var raw map[string]json.RawMessage
	if _, err := t.plain.Do(req, &raw); err != nil {
		return nil, failure("login", err, ErrCredentialsRefused,
			"check the username and password (and Login.Path); they are not sent again", t.secrets())
	}
	tok, err := t.parse("login", raw, issued, nil)
	if err != nil {
		return nil, err
	}
	t.logger.Info("login: logged in", "expiry", tok.Expiry)
	return tok, nil
}

// refreshWith presents current's refresh token for new tokens.
func (t *tokens) refreshWith(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	issued := t.now()
	req, err := t.tokenRequest(ctx, t.cfg.Refresh, current)
	if err != nil {
		return nil, &Error{Op: "refresh", Err: err, final: true, advice: "check TokenConfig.Refresh"}
	}
	var raw map[string]json.RawMessage
	if _, err := t.plain.Do(req, &raw); err != nil {
		return nil, err
	}
	tok, err := t.parse("refresh", raw, issued, current)
	if err != nil {
		return nil, err
	}
	t.logger.Info("login: token refreshed", "expiry", tok.Expiry)
	return tok, nil
}

// tokenRequest builds r presenting tok's access or refresh token.
func (t *tokens) tokenRequest(ctx context.Context, r TokenRequest, tok *oauth2.Token) (*http.Request, error) {
	value := tok.AccessToken
	if r.Token == RefreshToken {
		value = tok.RefreshToken
	}
	if r.Encoding == "" {
		req, err := newRequest(ctx, t.plain, r.Method, r.Path, JSON, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+value)
		return req, nil
	}
	return newRequest(ctx, t.plain, r.Method, r.Path, r.Encoding, map[string]string{r.Field: value})
}

// logout sends the Logout request with tok.
func (t *tokens) logout(ctx context.Context, tok *oauth2.Token) error {
	req, err := t.tokenRequest(ctx, t.cfg.Logout, tok)
	if err != nil {
		return &Error{Op: "logout", Err: err, final: true, advice: "check TokenConfig.Logout"}
	}
	if _, err := t.plain.Do(req, nil); err != nil {
		return failure("logout", err, nil, "the tokens may still be valid on the server until they expire", t.secrets())
	}
	t.logger.Info("login: logged out")
	return nil
}

// parse reads the tokens of a login or refresh answer; prev, the token
// refreshed, gives the refresh token when the answer has none.
func (t *tokens) parse(op string, raw map[string]json.RawMessage, issued time.Time, prev *oauth2.Token) (*oauth2.Token, error) {
	tok, err := parseTokens(raw, t.cfg, issued)
	if err != nil {
		return nil, &Error{Op: op, Err: err, final: true,
			advice: "set TokenConfig.AccessTokenFields to the field of the answer that holds it"}
	}
	if tok.RefreshToken == "" && prev != nil {
		tok.RefreshToken = prev.RefreshToken
	}
	t.remember(tok)
	return tok, nil
}

// remember records tok's values so they are kept out of errors.
func (t *tokens) remember(tok *oauth2.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range []string{tok.AccessToken, tok.RefreshToken} {
		if v != "" && !slices.Contains(t.recent, v) {
			t.recent = append(t.recent, v)
		}
	}
	if n := len(t.recent); n > maxSecrets {
		t.recent = slices.Clone(t.recent[n-maxSecrets:])
	}
}

func (t *tokens) secrets() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append(t.cfg.Login.secrets(t.cfg.Credentials), t.recent...)
}

// close logs out with the current token if configured, and stops the
// Refresher.
func (t *tokens) close(ctx context.Context) error {
	t.closed.Store(true)
	if t.cfg.Logout.Path == "" {
		return t.r.Close()
	}
	tok, err := t.r.Token(ctx) // a valid token, refreshed first if need be
	t.r.Close()
	if err != nil {
		t.logger.Info("login: not logging out: there is no valid token", "error", err.Error())
		return nil
	}
	return t.logout(ctx, tok)
}

func (t *tokens) refresher() *tokenrefresh.Refresher { return t.r }
