package sessiontest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Cookie names set by POST /login, as in the seed's Flask server.
const (
	CookieUsername       = "app1-username"
	CookieToken          = "app1-token"
	CookieLoginTimestamp = "app1-login-timestamp"
)

// maxBodyBytes bounds every request body the server reads; 1 MiB is the
// project's figure (STYLE.md, rule 8), far above any login form.
const maxBodyBytes = 1 << 20

// tokenBytes is the entropy of a session token: the seed calls
// secrets.token_urlsafe(16), 16 random bytes in unpadded base64url.
const tokenBytes = 16

// SeedUsers returns the seed's hard-coded user/password pairs
// (Alice, Bob and Carlos), as a new map each call.
func SeedUsers() map[string]string {
	return map[string]string{"Alice": "alice_pw", "Bob": "bob_pw", "Carlos": "carlos_pw"}
}

// Stats counts what the server has answered since [New].
type Stats struct {
	Logins            int // 200 from POST /login
	LoginsUnknownUser int // 401 from POST /login: a missing field or an unknown user
	LoginsBadPassword int // 403 from POST /login: a wrong password
	Served            int // 200 from a protected endpoint
	Unauthenticated   int // 401 from a protected endpoint: no cookies, or the session ended
	Forbidden         int // 403 from a protected endpoint: cookies that do not match a session
}

// Server is the fake login server. Create it with [New]; the zero value is
// not usable. It is safe for concurrent use and serves any number of
// listeners; reuse one per test.
type Server struct {
	now      func() time.Time
	lifetime time.Duration // 0: sessions never expire, as in the seed
	logger   *slog.Logger
	mux      *http.ServeMux

	mu       sync.Mutex          // guards users, sessions and stats
	users    map[string][32]byte // username → SHA-256 of the password
	sessions map[string]*session // username → its one session (the seed keeps one token per user)
	stats    Stats
}

// session is one login. It is only read or written with Server.mu held.
type session struct {
	token string
	login time.Time
	ended bool // set by ResetSessions
}

// Option configures a [Server] in [New].
type Option func(*Server) error

// WithClock sets the clock the server reads for login timestamps and session
// expiry. The default is [time.Now].
func WithClock(now func() time.Time) Option {
	return func(s *Server) error {
		if now == nil {
			return errors.New("sessiontest: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithSessionLifetime ends each session d after its login: later requests
// with its cookies get 401 and must log in again. Zero, the default, keeps
// sessions forever, as the seed does.
func WithSessionLifetime(d time.Duration) Option {
	return func(s *Server) error {
		if d < 0 {
			return errors.New("sessiontest: WithSessionLifetime: negative lifetime")
		}
		s.lifetime = d
		return nil
	}
}

// WithLogger sets where the server logs logins and rejections (user names and
// outcomes; never passwords or tokens). The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		if l == nil {
			return errors.New("sessiontest: WithLogger: nil logger")
		}
		s.logger = l
		return nil
	}
}

// New returns a server with no users; add them with [Server.AddUser].
func New(opts ...Option) (*Server, error) {
	s := &Server{
		now:      time.Now,
		logger:   slog.New(slog.DiscardHandler),
		users:    make(map[string][32]byte),
		sessions: make(map[string]*session),
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /login", s.handleLogin)
	s.mux.Handle("GET /get-info", s.requireSession(s.handleGetInfo))
	s.mux.Handle("GET /whoami", s.requireSession(s.handleWhoAmI))
	return s, nil
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// String describes the server without its users, passwords or tokens.
func (s *Server) String() string { return "sessiontest.Server{REDACTED}" }

// GoString is [Server.String], so %#v cannot print the sessions either.
func (s *Server) GoString() string { return s.String() }

// AddUser adds a user, or sets the password of an existing one (its session,
// if any, stays valid). Both must be non-empty: the seed treats an empty field
// as missing, so such a user could never log in.
func (s *Server) AddUser(username, password string) error {
	if username == "" || password == "" {
		return errors.New("sessiontest: AddUser: empty username or password")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = sha256.Sum256([]byte(password))
	return nil
}

// ResetSessions ends every session, as if the server had lost its token
// table: each client must log in again. Requests with the old cookies get 401.
func (s *Server) ResetSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		sess.ended = true
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// loginOutcome is what POST /login decided.
type loginOutcome int

const (
	loginOK loginOutcome = iota
	loginMissingField
	loginUnknownUser
	loginBadPassword
)

// login checks the credentials and, when they are right, starts a new
// session for the user, replacing any earlier one.
func (s *Server) login(username, password, token string) (loginOutcome, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if username == "" || password == "" {
		s.stats.LoginsUnknownUser++
		return loginMissingField, time.Time{}
	}
	want, ok := s.users[username]
	if !ok {
		s.stats.LoginsUnknownUser++
		return loginUnknownUser, time.Time{}
	}
	got := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		s.stats.LoginsBadPassword++
		return loginBadPassword, time.Time{}
	}
	now := s.now()
	s.sessions[username] = &session{token: token, login: now}
	s.stats.Logins++
	return loginOK, now
}

// sessionCheck is what a protected endpoint decided about a request's cookies.
type sessionCheck int

const (
	sessionValid sessionCheck = iota
	sessionMismatch
	sessionEnded
	sessionExpired
)

// check compares the cookies with the user's session and counts the outcome.
// On success it returns the session's login time.
func (s *Server) check(username, token string) (sessionCheck, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.sessions[username]
	switch {
	case !ok || subtle.ConstantTimeCompare([]byte(token), []byte(sess.token)) != 1:
		s.stats.Forbidden++
		return sessionMismatch, time.Time{}
	case sess.ended:
		s.stats.Unauthenticated++
		return sessionEnded, time.Time{}
	case s.lifetime > 0 && !s.now().Before(sess.login.Add(s.lifetime)):
		s.stats.Unauthenticated++
		return sessionExpired, time.Time{}
	}
	s.stats.Served++
	return sessionValid, sess.login
}

// countMissingCookies records a 401 for a request that carried no session.
func (s *Server) countMissingCookies() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Unauthenticated++
}
