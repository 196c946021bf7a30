package login

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/tokenrefresh"
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
	// Optional: nil means 401 only. Seed 002 also answers 403 to cookies
	// of a session replaced by another login; add 403 to log in again
	// then too.
	ReloginStatuses []int

	// ReloginCodes are server error codes ([bearer.APIError.Code]) that
	// mean the same, whatever the status, such as "session_expired".
	// Optional.
	ReloginCodes []string

	// HTTPClient sends the requests: its Transport, Timeout and
	// CheckRedirect are used. Optional: nil means bearer's default. Its Jar
	// must be nil: the session keeps its own, scoped to the API's host. Pass
	// it here, not with bearer.WithHTTPClient, which would drop that jar.
	HTTPClient *http.Client

	// Logger receives logins and rejections, never a secret. Optional: nil
	// logs nothing. Pass bearer.WithLogger to log requests too.
	Logger *slog.Logger

	// Now is the clock that spaces login retries. Optional: nil means
	// time.Now.
	Now func() time.Time
}

func (c *SessionConfig) validate() error {
	if err := c.Login.validate("Login"); err != nil {
		return err
	}
	switch {
	case !c.Credentials.set():
		return errors.New("login: SessionConfig.Credentials needs a Username and a Password")
	case c.HTTPClient != nil && c.HTTPClient.Jar != nil:
		return errors.New("login: SessionConfig.HTTPClient.Jar must be nil: the session keeps its own jar, scoped to the API's host")
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
// to the API's host only. opts configure the underlying [bearer.Client]
// (bearer.WithTrustedPEM to trust the server's own certificate,
// bearer.WithLogger, retries); they must not include bearer.WithHTTPClient
// (use cfg.HTTPClient) or bearer.WithTokenSource.
//
// It does no I/O: the first request logs in. The login is sent once:
// refused credentials (a 4xx) give an error matching
// [ErrCredentialsRefused], and are never sent again; other failures are
// retried no sooner than [LoginRetryMin] after, backing off to
// [LoginRetryMax]. An answer with one of cfg's relogin statuses or codes
// makes the client log in again, once for all the requests that saw it,
// and send the request once more.
//
// Credentials go over https, or plain http to a loopback address; pass
// bearer.WithInsecureHTTP to allow other plain http hosts.
func NewSessionClient(baseURL string, cfg SessionConfig, opts ...bearer.Option) (*Client, error) {
	cfg.Login = cfg.Login.withDefaults(Form)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	jar := newHostJar(hostname(baseURL)) // bearer.NewClient checks baseURL
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.Jar = jar
	// The session's client comes first, so that a bearer.WithHTTPClient
	// among opts (which would drop the jar) shows up as a login that
	// leaves no cookie, instead of silently losing the caller's transport.
	api, err := bearer.NewClient(baseURL, append([]bearer.Option{bearer.WithHTTPClient(hc)}, opts...)...)
	if err != nil {
		return nil, err
	}
	if err := checkSecure(api, baseURL, opts); err != nil {
		return nil, err
	}
	s := newSession(cfg, api, jar)
	return &Client{api: api, auth: s, logger: s.logger}, nil
}

// hostname returns the host name of rawURL, or "" if it has none.
func hostname(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// session is the authenticator of a cookie session.
type session struct {
	cfg    SessionConfig
	api    *bearer.Client
	jar    *hostJar
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex    // guards the fields below
	gen      uint64        // counts successful logins; 0 before the first
	inflight chan struct{} // closed when the login in flight ends; nil if none
	closed   bool          // Close was called
	permErr  error         // a login failure retrying cannot fix; final
	lastErr  error         // the last failed login
	failures int           // consecutive failed logins
	retryAt  time.Time     // no login before this
}

func newSession(cfg SessionConfig, api *bearer.Client, jar *hostJar) *session {
	s := &session{cfg: cfg, api: api, jar: jar, logger: cfg.Logger, now: cfg.Now}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if len(s.cfg.ReloginStatuses) == 0 {
		s.cfg.ReloginStatuses = []int{http.StatusUnauthorized}
	}
	return s
}

func (s *session) ready(ctx context.Context) (ticket, error) {
	gen, err := s.loggedIn(ctx, 0)
	return ticket{gen: gen}, err
}

// deny leaves permission answers to the caller: a session's rejections
// are configured by status and code.
func (s *session) deny(*bearer.APIError) error { return nil }

// recover logs in again after an answer that says the session ended. A
// 403 to a request sent with a session that another login has since
// replaced is sent again too, without a login: the old cookies, not the
// account, may be what was refused (seed 002 answers 403 to them).
func (s *session) recover(ctx context.Context, t ticket, e *bearer.APIError) (bool, error) {
	if !slices.Contains(s.cfg.ReloginStatuses, e.StatusCode) && (e.Code == "" || !slices.Contains(s.cfg.ReloginCodes, e.Code)) {
		if e.StatusCode != http.StatusForbidden {
			return false, nil
		}
		return s.replacedSince(ctx, t.gen)
	}
	s.logger.Info("login: the server ended the session; logging in again", rejection(e)...)
	if _, err := s.loggedIn(ctx, t.gen); err != nil {
		return false, err
	}
	return true, nil
}

// replacedSince reports whether a login has replaced the session of
// generation gen, waiting for a login in flight to end.
func (s *session) replacedSince(ctx context.Context, gen uint64) (bool, error) {
	for {
		s.mu.Lock()
		ch, g := s.inflight, s.gen
		s.mu.Unlock()
		if ch == nil {
			return g != gen, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false, fmt.Errorf("login: waiting for the login: %w", ctx.Err())
		}
	}
}

// loggedIn returns the current login generation, logging in first if
// there has been no login since generation stale: one login for all the
// callers that ask at once, each of which waits for it within its ctx.
func (s *session) loggedIn(ctx context.Context, stale uint64) (uint64, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return 0, ErrClosed
		case s.permErr != nil:
			s.mu.Unlock()
			return 0, s.permErr
		case s.gen != stale:
			gen := s.gen
			s.mu.Unlock()
			return gen, nil
		case s.inflight != nil:
			ch := s.inflight
			s.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return 0, fmt.Errorf("login: waiting for the login: %w", ctx.Err())
			}
		}
		if now := s.now(); now.Before(s.retryAt) {
			err := fmt.Errorf("login: not logged in: %d logins failed, the next may start in %v: %w",
				s.failures, s.retryAt.Sub(now).Round(time.Millisecond), s.lastErr)
			s.mu.Unlock()
			return 0, err
		}
		ch := make(chan struct{})
		s.inflight = ch
		s.mu.Unlock()

		err := s.login(ctx)
		return s.finish(ctx, ch, err)
	}
}

// finish records the outcome of the login that ch announces.
func (s *session) finish(ctx context.Context, ch chan struct{}, err error) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	close(ch)
	switch {
	case err == nil:
		s.gen++
		s.failures, s.lastErr, s.retryAt = 0, nil, time.Time{}
		return s.gen, nil
	case ctx.Err() != nil:
		// The caller gave up; that says nothing about the server.
		return 0, err
	case isPermanent(err):
		s.permErr = err
		s.logger.Error("login: login refused; not trying again", "error", err.Error())
	default:
		s.failures++
		s.lastErr = err
		s.retryAt = s.now().Add(loginBackoff(s.failures))
		s.logger.Warn("login: login failed", "error", err.Error(), "failures", s.failures, "retry_at", s.retryAt)
	}
	return 0, err
}

// loginBackoff is the wait after n consecutive failed logins.
func loginBackoff(n int) time.Duration {
	d := LoginRetryMin
	for i := 1; i < n && d < LoginRetryMax; i++ {
		d *= 2
	}
	return min(d, LoginRetryMax)
}

// rejection returns the log attributes that describe a rejected answer.
func rejection(e *bearer.APIError) []any {
	attrs := []any{"status", e.StatusCode}
	if e.Code != "" {
		attrs = append(attrs, "code", e.Code)
	}
	return attrs
}

func isPermanent(err error) bool { return tokenrefresh.IsPermanent(err) }

// login sends the login request with a fresh jar.
func (s *session) login(ctx context.Context) error {
	s.jar.clear()
	req, err := credentialRequest(ctx, s.api, s.cfg.Login, s.cfg.Credentials)
	if err != nil {
		return &Error{Op: "login", Err: err, final: true, advice: "check SessionConfig.Login"}
	}
	if _, err := s.api.Do(req, nil); err != nil {
		return failure("login", err, ErrCredentialsRefused,
			"check the username and password (and Login.Path); they are not sent again", s.secrets())
	}
	if !s.jar.gotCookies() {
		return &Error{Op: "login", final: true,
			Err:    fmt.Errorf("%s %s answered with success but set no cookie for %s", req.Method, cleanURL(req), s.jar.host),
			advice: "check Login.Path; if you passed bearer.WithHTTPClient, pass that client as SessionConfig.HTTPClient instead, so the session's cookie jar is kept"}
	}
	s.logger.Info("login: logged in", "url", cleanURL(req))
	return nil
}

func (s *session) secrets() []string {
	return s.cfg.Login.secrets(s.cfg.Credentials)
}

func (s *session) close(context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.jar.clear()
	return nil
}

func (s *session) refresher() *tokenrefresh.Refresher { return nil }
