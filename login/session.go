package login

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/backoff"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/rejectlimit"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Login retries after failures that may pass (5xx, no answer) are spaced
// out, so that a loop of failing requests does not become a storm of
// logins: the first wait is LoginRetryMin, doubling up to LoginRetryMax.
// Meanwhile requests fail at once with the last error. A second is enough
// for a restarting server; a minute keeps an outage to one attempt a
// minute per client.
const (
	LoginRetryMin = time.Second
	LoginRetryMax = time.Minute
)

// SessionConfig describes a cookie-session login, as in seed 002: the
// credentials are posted to a login endpoint, which answers with cookies
// that every later request carries.
type SessionConfig struct {
	// Login is the login request. Required: Login.Path. Its Encoding
	// defaults to Form.
	Login Request

	// Credentials log in. Required.
	Credentials Credentials

	// ReloginStatuses are the statuses of answers that mean the session
	// ended, so the client logs in again and sends the request once more.
	// Optional: nil means 401 only. Seed 002's server needs 401 and 403:
	// it answers 403 "<user> denied access to resource" to the cookies of
	// a session it no longer has, after a restart (it keeps sessions in
	// memory) or another login of the user. New logins after rejections
	// are limited, so a 403 that means a missing permission costs a few
	// logins, not one per request.
	ReloginStatuses []int

	// ReloginCodes are server error codes ([bearer.APIError.Code]) that
	// mean the same, whatever the status, such as "session_expired".
	// Optional.
	ReloginCodes []string
}

func (c *SessionConfig) validate() error {
	if err := c.Login.validate("Login"); err != nil {
		return err
	}
	if !c.Credentials.set() {
		return errors.New("login: SessionConfig.Credentials needs a Username and a Password")
	}
	for _, s := range c.ReloginStatuses {
		if s < 400 || s > 599 {
			return fmt.Errorf("login: SessionConfig.ReloginStatuses has %d: only error statuses (4xx, 5xx) can mean the session ended", s)
		}
	}
	return nil
}

// NewSessionClient returns a client for the API at baseURL that logs in
// with cfg and keeps the session's cookies, in a jar that sends them back
// to the API's host only.
//
// It does no I/O: the first request logs in. The login is sent once:
// refused credentials (a 4xx) give an error matching
// [ErrCredentialsRefused], and are never sent again; other failures are
// retried no sooner than [LoginRetryMin] after, backing off to
// [LoginRetryMax]. An answer with one of cfg's relogin statuses or codes
// makes the client log in again, once for all the requests that saw it,
// and send the request once more; a 403 to a request sent with a session
// that another login has since replaced is sent once more, without a
// login.
//
// Credentials go over https, or plain http to this machine only; pass
// bearer.WithInsecureHTTP through [WithBearerOptions] to allow other plain
// http hosts.
func NewSessionClient(baseURL string, cfg SessionConfig, opts ...Option) (*Client, error) {
	cfg.Login = cfg.Login.withDefaults(Form)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	jar := newHostJar(hostname(baseURL)) // bearer.NewClient checks baseURL
	s := newSession(cfg, jar, o)
	api, err := newAPI(baseURL, s, o.httpClient(jar), o)
	if err != nil {
		return nil, err
	}
	s.api = api
	return &Client{api: api, auth: s}, nil
}

// hostname returns the host name of rawURL, or "" if it has none.
func hostname(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// sessionTokenType marks the tokens of a session: they are never sent,
// only compared; the session's cookies are what requests carry.
const sessionTokenType = "Session"

// session is the token source of a cookie session. Its tokens name the
// logins: each successful login makes a new one, which requests are sent
// with, so that a rejection says which login it rejected.
type session struct {
	cfg    SessionConfig
	api    *bearer.Client  // set once, before any request
	x      *httpx.Exchange // set once, by the api's NewClient
	jar    *hostJar
	logger *slog.Logger
	now    func() time.Time

	limit *rejectlimit.Limiter // new logins after a rejection

	mu       sync.Mutex    // guards the fields below
	current  *oauth2.Token // the token of the login in use; nil before the first and after a rejection
	issued   time.Time     // when the login in use was made
	inflight chan struct{} // closed when the login in flight ends; nil if none
	closed   bool          // Close was called
	permErr  error         // a login failure retrying cannot fix; final
	lastErr  error         // the last failed login
	failures int           // consecutive failed logins
	retryAt  time.Time     // no login before this
}

func newSession(cfg SessionConfig, jar *hostJar, o *options) *session {
	s := &session{cfg: cfg, jar: jar, logger: o.logger, now: o.now(),
		limit: rejectlimit.New(rejectlimit.DefaultMin, rejectlimit.DefaultMax)}
	if len(s.cfg.ReloginStatuses) == 0 {
		s.cfg.ReloginStatuses = []int{http.StatusUnauthorized}
	}
	return s
}

// BindExchange takes the exchange the logins go through, whose registry
// keeps the credentials and the cookies out of every error and log line.
func (s *session) BindExchange(x *httpx.Exchange) {
	s.x = x
	s.jar.secrets = x.Secrets
	x.Secrets.Add(s.cfg.Login.secrets(s.cfg.Credentials)...)
}

func (s *session) bound() bool { return s.x != nil }

// Authorize puts the session's cookies on req, the current ones: a
// request sent again after a new login carries the new cookies.
func (s *session) Authorize(req *http.Request, _ *oauth2.Token) {
	cookies := s.jar.Cookies(req.URL)
	if len(cookies) == 0 {
		delete(req.Header, "Cookie")
		return
	}
	parts := make([]string, len(cookies))
	for i, c := range cookies {
		parts[i] = c.Name + "=" + c.Value
	}
	req.Header["Cookie"] = []string{strings.Join(parts, "; ")}
}

// Reject says what an error answer means for the session. One of the
// relogin statuses or codes ends the login the request was sent with: the
// next Token logs in again, once for all the requests that saw it. New
// logins after rejections are bounded as a Refresher's replacements are
// (internal/rejectlimit): a server that rejects every session gets a few
// logins, not one per request; the rejection then goes back to the
// caller. A 403 to a request sent with a login that another has since
// replaced (or is replacing) is sent once more, without a login: the old
// cookies, not the account, may be what was refused (seed 002 answers
// 403 to them).
func (s *session) Reject(_ context.Context, r bearer.Rejection) bearer.Verdict {
	tok := r.Token.Reveal()
	relogin := slices.Contains(s.cfg.ReloginStatuses, r.StatusCode) || (r.Code != "" && slices.Contains(s.cfg.ReloginCodes, r.Code))
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case relogin && s.current == tok:
		if !s.limit.Allow(s.now(), s.issued) {
			s.logger.Warn("login: the server ended the session again soon after a new login; not logging in again yet", rejection(r)...)
			return bearer.Stand
		}
		s.logger.Info("login: the server ended the session; logging in again", rejection(r)...)
		s.current = nil
		return bearer.Renew
	case relogin, r.StatusCode == http.StatusForbidden && s.current != tok:
		return bearer.Renew // a login has replaced that session, or is replacing it
	}
	return bearer.Stand
}

// deny leaves permission answers to the caller: a session's rejections
// are configured by status and code.
func (s *session) deny(*bearer.APIError) error { return nil }

// Token returns the token of the login in use, logging in first if there
// is none: one login for all the callers that ask at once, each of which
// waits for it within its ctx.
func (s *session) Token(ctx context.Context) (*oauth2.Token, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return nil, ErrClosed
		case s.permErr != nil:
			s.mu.Unlock()
			return nil, s.permErr
		case s.current != nil:
			tok := s.current
			s.mu.Unlock()
			return tok, nil
		case s.inflight != nil:
			ch := s.inflight
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("login: waiting for the login: %w", ctx.Err())
			}
		}
		if now := s.now(); now.Before(s.retryAt) {
			err := fmt.Errorf("login: not logged in: %d logins failed, the next may start in %v: %w",
				s.failures, s.retryAt.Sub(now).Round(time.Millisecond), s.lastErr)
			s.mu.Unlock()
			return nil, err
		}
		ch := make(chan struct{})
		s.inflight = ch
		s.mu.Unlock()

		err := s.login(ctx)
		return s.finish(ctx, ch, err)
	}
}

// finish records the outcome of the login that ch announces.
func (s *session) finish(ctx context.Context, ch chan struct{}, err error) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	close(ch)
	switch {
	case err == nil:
		s.current = &oauth2.Token{AccessToken: "login-" + crand.Text(), TokenType: sessionTokenType}
		s.issued = s.now()
		s.failures, s.lastErr, s.retryAt = 0, nil, time.Time{}
		return s.current, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about the server.
		return nil, err
	case isPermanent(err):
		s.permErr = err
		s.logger.Error("login: login refused; not trying again", "error", err.Error())
	default:
		s.failures++
		s.lastErr = err
		s.retryAt = s.now().Add(loginBackoff(s.failures))
		s.logger.Warn("login: login failed", "error", err.Error(), "failures", s.failures, "retry_at", s.retryAt)
	}
	return nil, err
}

// loginBackoff is the wait after n consecutive failed logins: the SDK's
// one backoff, at the top of its range, so that a login is never retried
// sooner than documented.
func loginBackoff(n int) time.Duration {
	return backoff.Exponential(LoginRetryMin, LoginRetryMax, n, fullWait)
}

// fullWait draws the top of the jitter range every time. Its source has
// no state, so it is safe for concurrent use.
var fullWait = rand.New(topSource{})

type topSource struct{}

func (topSource) Uint64() uint64 { return math.MaxUint64 }

// rejection returns the log attributes that describe a rejected answer.
func rejection(r bearer.Rejection) []any {
	attrs := []any{"status", r.StatusCode}
	if r.Code != "" {
		attrs = append(attrs, "code", r.Code)
	}
	return attrs
}

func isPermanent(err error) bool { return tokenrefresh.IsPermanent(err) }

// login sends the login request with a fresh jar.
func (s *session) login(ctx context.Context) error {
	s.jar.clear()
	s.x.Secrets.Add(s.cfg.Login.secrets(s.cfg.Credentials)...)
	req, err := credentialRequest(ctx, s.x, s.api, s.cfg.Login, s.cfg.Credentials)
	if err != nil {
		return &Error{Op: "login", Err: err, final: true, advice: "check SessionConfig.Login"}
	}
	if _, err := send(s.x, req, s.now()); err != nil {
		return loginError(err, nil)
	}
	if !s.jar.gotCookies() {
		return &Error{Op: "login", final: true,
			Err:    fmt.Errorf("%s %s answered with success but set no cookie for %s", req.Method, cleanURL(s.x, req), s.jar.host),
			advice: "check Login.Path; if you passed bearer.WithHTTPClient through WithBearerOptions, pass that client with login.WithHTTPClient instead, so the session's cookie jar is kept"}
	}
	s.logger.Info("login: logged in", "url", cleanURL(s.x, req))
	return nil
}

func (s *session) close(context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.current = nil
	s.mu.Unlock()
	s.jar.clear()
	return nil
}

func (s *session) refresher() *tokenrefresh.Refresher { return nil }
