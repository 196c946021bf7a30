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
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/sendtrace"
	"github.com/bearer-go/bearer/secret"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// NewTokenClient returns a client for the API at baseURL that logs in with
// cfg and keeps the access token alive with a tokenrefresh.Refresher: it
// refreshes it before it expires, in the background, without making
// callers wait while it is valid. ctx bounds only the initial load from
// cfg.Refresher.Store.
//
// The first login starts at once in the background; [Client.Login] waits
// for it. Answers from the API are handled by their error code (see
// TokenConfig): a rejected token (token-expired, token-invalid, any other
// 401) is refreshed, or replaced by a new login for one of
// TokenConfig.ReloginCodes, and the request is tried once more; a
// permission error is a [*PermissionError], never retried. A refresh token
// that has expired or was revoked makes the client log in again with
// cfg.Credentials, or fail with [ErrLoginRequired] without them. Refused
// credentials are sent once, and fail with [ErrCredentialsRefused]; a login
// refused because the user has a session already fails with
// [ErrAlreadyLoggedIn]. The login and refresh requests are never retried
// by the client (a refresh that reached the server has used up its refresh
// token: the Refresher decides); a logout the server failed is tried again
// within Close's bound. None follows a redirect.
//
// Credentials and tokens go over https, or plain http to this machine
// only; pass bearer.WithInsecureHTTP through [WithBearerOptions] to allow
// other plain http hosts. Close the client when done: it logs out if
// cfg.Logout is set.
func NewTokenClient(ctx context.Context, baseURL string, cfg TokenConfig, opts ...Option) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	t := newTokens(cfg, o)
	api, err := newAPI(baseURL, t, o.httpClient(nil), o)
	if err != nil {
		return nil, err
	}
	t.api = api
	rcfg := t.cfg.Refresher
	if !rcfg.Initial.IsZero() {
		t.remember(rcfg.Initial.Reveal())
		rcfg.Initial = secret.New(withJWTExpiry(rcfg.Initial.Reveal()))
	}
	rcfg.Refresh = t.refresh
	if t.r, err = tokenrefresh.New(ctx, rcfg); err != nil {
		api.Close()
		return nil, err
	}
	return &Client{api: api, auth: t}, nil
}

// newTokens returns the token source of cfg, on the options' clock and
// logger unless cfg.Refresher has its own.
func newTokens(cfg TokenConfig, o *options) *tokens {
	if cfg.Refresher.Clock == nil {
		cfg.Refresher.Clock = o.clock
	}
	if cfg.Refresher.Logger == nil {
		cfg.Refresher.Logger = o.logger
	}
	t := &tokens{cfg: cfg, logger: o.logger, now: time.Now}
	if cfg.Refresher.Clock != nil {
		t.now = cfg.Refresher.Clock.Now
	}
	return t
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

// tokens is the token source of a login API with tokens: its Refresher's
// tokens, with the API's rules for error answers.
type tokens struct {
	cfg    TokenConfig
	api    *bearer.Client          // set once, before the Refresher starts
	x      *httpx.Exchange         // set once, by the api's NewClient
	r      *tokenrefresh.Refresher // set once, before any request
	logger *slog.Logger
	now    func() time.Time
	closed atomic.Bool

	mu      sync.Mutex // guards relogin
	relogin string     // an access token the server called invalid: Refresh logs in instead of refreshing it
}

// BindExchange takes the exchange the logins, refreshes and logouts go
// through, whose registry keeps the credentials and tokens out of every
// error and log line.
func (t *tokens) BindExchange(x *httpx.Exchange) {
	t.x = x
	x.Secrets.Add(t.cfg.Login.secrets(t.cfg.Credentials)...)
}

func (t *tokens) bound() bool { return t.x != nil }

// Token returns the Refresher's token.
func (t *tokens) Token(ctx context.Context) (*oauth2.Token, error) {
	if t.closed.Load() {
		return nil, ErrClosed
	}
	return t.r.Token(ctx)
}

func (t *tokens) deny(e *bearer.APIError) error {
	if e.StatusCode == http.StatusForbidden || (e.Code != "" && slices.Contains(t.cfg.PermissionCodes, e.Code)) {
		return &PermissionError{Response: e}
	}
	return nil
}

// Reject says what an error answer means, by the API's codes: a
// permission the account lacks stands (the Client makes it a
// *PermissionError); a token rejected with one of the ReloginCodes is
// replaced by a new login; any other 401, or a RefreshCode, by a refresh.
// Either way the request is sent once more.
func (t *tokens) Reject(_ context.Context, r bearer.Rejection) bearer.Verdict {
	tok := r.Token.Reveal()
	code := r.Code
	switch {
	case r.StatusCode == http.StatusForbidden || (code != "" && slices.Contains(t.cfg.PermissionCodes, code)):
		return bearer.Stand
	case code != "" && slices.Contains(t.cfg.ReloginCodes, code):
		t.logger.Info("login: the server rejected the access token with a relogin code; logging in again", rejection(r)...)
		t.mu.Lock()
		t.relogin = tok.AccessToken
		t.mu.Unlock()
	case r.StatusCode == http.StatusUnauthorized || (code != "" && slices.Contains(t.cfg.RefreshCodes, code)):
		t.logger.Info("login: the server rejected the access token; refreshing it", rejection(r)...)
	default:
		return bearer.Stand
	}
	t.r.Invalidate(tok)
	return bearer.Renew
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
		return t.login(ctx, "the server rejected the access token with one of TokenConfig.ReloginCodes")
	case t.cfg.Refresh.Path == "":
		return t.login(ctx, "the token is due and TokenConfig.Refresh has no Path")
	case t.cfg.Refresh.Token == RefreshToken && current.RefreshToken == "":
		return t.login(ctx, "the token is due and there is no refresh token")
	}
	ctx, sent := sendtrace.Track(ctx)
	tok, err := t.refreshWith(ctx, current)
	var ae *bearer.APIError
	if err == nil || !errors.As(err, &ae) {
		return tok, inDoubtIf(sent.MaybeApplied(0, err), err)
	}
	if perr := t.deny(ae); perr != nil {
		return nil, &Error{Op: "refresh", Err: perr}
	}
	if !t.refused(ae) {
		return nil, inDoubtIf(sent.MaybeApplied(ae.StatusCode, ae), refreshError(err))
	}
	why := "the server refused the refresh token (" + codeOrStatus(ae) + "): it has expired or was revoked"
	if !t.cfg.Credentials.set() {
		e := newError("refresh", err)
		e.kind = ErrLoginRequired
		e.advice = "the refresh token has expired or was revoked, and no credentials are held to log in again: log in and start from the new tokens"
		return nil, e
	}
	return t.login(ctx, why)
}

// inDoubtIf marks err with tokenrefresh.InDoubt when the refresh that
// failed may have been applied: a server that rotates its refresh tokens
// (seed 004's generate_tokens revokes the old ones) may have done so
// before the 5xx or the cut connection, and the Refresher must then report
// a later rejection as a lost lineage, not a revoked token.
func inDoubtIf(maybeApplied bool, err error) error {
	if err != nil && maybeApplied {
		return tokenrefresh.InDoubt(err)
	}
	return err
}

// refreshError describes a refresh that failed otherwise than by a
// refused refresh token.
func refreshError(err error) *Error {
	e := newError("refresh", err)
	switch r := e.Response; {
	case r != nil && r.Permanent():
		e.advice = "check TokenConfig.Refresh (path, method, how the token is sent, its parameters)"
	case r != nil:
		e.advice = "the server failed; the refresh is tried again later"
	}
	return e
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
	t.x.Secrets.Add(t.cfg.Login.secrets(t.cfg.Credentials)...)
	req, err := credentialRequest(ctx, t.x, t.api, t.cfg.Login, t.cfg.Credentials)
	if err != nil {
		return nil, &Error{Op: "login", Err: err, final: true, advice: "check TokenConfig.Login"}
	}
	raw, err := t.exchange("login", req)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e // an answer this package cannot read
		}
		return nil, loginError(err, t.cfg.AlreadyLoggedInCodes)
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
	raw, err := t.exchange("refresh", req)
	if err != nil {
		return nil, err
	}
	tok, err := t.parse("refresh", raw, issued, current)
	if err != nil {
		return nil, err
	}
	t.logger.Info("login: token refreshed", "expiry", tok.Expiry)
	return tok, nil
}

// tokenRequest builds r presenting tok's access or refresh token, with
// r's extra parameters.
func (t *tokens) tokenRequest(ctx context.Context, r TokenRequest, tok *oauth2.Token) (*http.Request, error) {
	var fields map[string]string
	if r.Encoding != "" {
		fields = make(map[string]string, len(r.Fields)+1)
		for k, v := range r.Fields {
			fields[k] = v
		}
		fields[r.Field] = tokenOf(tok, r.Token)
	}
	req, err := newRequest(ctx, t.api, r.Method, r.Path, r.Encoding, fields)
	if err != nil {
		return nil, err
	}
	if r.Encoding == "" {
		req.Header.Set("Authorization", "Bearer "+tokenOf(tok, r.Token))
	}
	if len(r.Query)+len(r.TokenQuery) > 0 {
		q := req.URL.Query()
		for k, v := range r.Query {
			q.Set(k, v)
		}
		for k, kind := range r.TokenQuery {
			q.Set(k, tokenOf(tok, kind))
		}
		req.URL.RawQuery = q.Encode()
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	return req, nil
}

// tokenOf returns tok's token of this kind.
func tokenOf(tok *oauth2.Token, kind TokenKind) string {
	if kind == RefreshToken {
		return tok.RefreshToken
	}
	return tok.AccessToken
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

// exchange sends req, a login or a refresh, and reads its JSON answer.
func (t *tokens) exchange(op string, req *http.Request) (map[string]json.RawMessage, error) {
	a, err := send(t.x, req, t.now())
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if a.Oversize || json.Unmarshal(a.Body, &raw) != nil {
		// The decoder's message could quote the body: it is not wrapped.
		return nil, &Error{Op: op, final: true,
			Err:    fmt.Errorf("%s %s answered %d with %s, not a JSON object of tokens", req.Method, cleanURL(t.x, req), a.StatusCode, t.describe(a)),
			advice: "check the path of the request"}
	}
	return raw, nil
}

// describe says what an answer's body is, without a secret.
func (t *tokens) describe(a *httpx.Answer) string {
	if a.Oversize {
		return fmt.Sprintf("more than %d bytes", MaxResponseBytes)
	}
	p, _ := a.Redacted(t.x.Secrets, 0)
	return p.Describe()
}

// remember adds tok's values to the registry, so they are kept out of
// errors and logs.
func (t *tokens) remember(tok *oauth2.Token) {
	t.x.Secrets.Add(tok.AccessToken, tok.RefreshToken)
}

// close logs out with the current token if configured, and stops the
// Refresher.
func (t *tokens) close(ctx context.Context) error {
	t.closed.Store(true)
	if t.cfg.Logout.Path == "" {
		return t.r.Close()
	}
	// Only a token valid now is logged out: an expired or rejected one is
	// dead already, and waiting for a refresh that keeps failing would
	// hold Close for its whole bound.
	if !t.r.Status().Valid {
		t.r.Close()
		t.logger.Info("login: not logging out: there is no valid token")
		return nil
	}
	tok, err := t.r.Token(ctx)
	t.r.Close()
	if err != nil {
		t.logger.Info("login: not logging out: there is no valid token", "error", err.Error())
		return nil
	}
	return t.logout(ctx, tok)
}

func (t *tokens) refresher() *tokenrefresh.Refresher { return t.r }
