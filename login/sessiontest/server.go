package sessiontest

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
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
	Logins             int // 200 from POST /login
	LoginsMissingField int // 401 realm "Login required" from POST /login
	LoginsUnknownUser  int // 401 realm "No such user" from POST /login
	LoginsBadPassword  int // 403 realm "Password incorrect" from POST /login
	Served             int // 200 from GET /get-info
	Denied             int // 403 "<username> denied access to resource" from GET /get-info
	Failed             int // 500 answers made by [Server.FailNext]
	Restarts           int // calls of [Server.Restart]
}

// Server is the fake login server. Create it with [New]; the zero value is
// not usable. It is safe for concurrent use and serves any number of
// listeners; reuse one per test.
type Server struct {
	now    func() time.Time
	logger *slog.Logger

	mu       sync.Mutex          // guards users, tokens, failNext and stats
	users    map[string][32]byte // username → SHA-256 of the password
	tokens   map[string]string   // username → its one session token: the seed's auth_tokens
	failNext int                 // requests still to answer 500
	stats    Stats
}

// Option configures a [Server] in [New].
type Option func(*Server) error

// WithClock sets the clock the server reads for the login timestamp
// cookie (the seed's datetime.now(), formatted in the location of the time
// the clock returns). The default is [time.Now].
func WithClock(now func() time.Time) Option {
	return func(s *Server) error {
		if now == nil {
			return errors.New("sessiontest: WithClock: nil clock")
		}
		s.now = now
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
		now:    time.Now,
		logger: slog.New(slog.DiscardHandler),
		users:  make(map[string][32]byte),
		tokens: make(map[string]string),
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Format prints the server as sessiontest.Server{REDACTED}, whatever the
// verb: it holds the users' passwords' hashes and the session tokens.
func (s *Server) Format(f fmt.State, _ rune) { redact.Opaque(f, "sessiontest.Server") }

// AddUser adds a user, as the seed's authorized dict lists them, or sets
// the password of an existing one (its session, if any, stays valid). Both
// must be non-empty: the seed treats an empty field as missing, so such a
// user could never log in.
func (s *Server) AddUser(username, password string) error {
	if username == "" || password == "" {
		return errors.New("sessiontest: AddUser: empty username or password")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = sha256.Sum256([]byte(password))
	return nil
}

// Restart forgets every session, as the seed's server does when its
// process restarts (its auth_tokens is a dict in memory): the cookies of
// earlier logins then get 403 "<username> denied access to resource", and
// each client must log in again. Users stay.
func (s *Server) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = make(map[string]string)
	s.stats.Restarts++
}

// FailNext makes the server answer its next n requests, whatever they
// are, as Flask answers a request whose handler raised: 500 with
// Werkzeug's "Internal Server Error" page. Nothing else happens for them:
// a login is not made. n <= 0 cancels failures still pending.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = max(n, 0)
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// failing reports whether this request is one FailNext asked to fail, and
// counts it.
func (s *Server) failing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failNext == 0 {
		return false
	}
	s.failNext--
	s.stats.Failed++
	return true
}

// loginOutcome is what POST /login decided, in the seed's order.
type loginOutcome int

const (
	loginOK loginOutcome = iota
	loginMissingField
	loginUnknownUser
	loginBadPassword
)

// login checks the credentials as the seed does and, when they are right,
// keeps token as the user's session, replacing any earlier one.
func (s *Server) login(username, password, token string) (loginOutcome, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if username == "" || password == "" {
		s.stats.LoginsMissingField++
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
	s.tokens[username] = token
	s.stats.Logins++
	return loginOK, s.now()
}

// optional is a cookie's value as Python sees request.cookies.get(name):
// a string, or None when the cookie is absent.
type optional struct {
	value string
	set   bool
}

// String is the value as Python's f-string prints it.
func (o optional) String() string {
	if !o.set {
		return "None"
	}
	return o.value
}

// admits is the seed's check, token != auth_tokens.get(username), with
// Python's None: absent cookies match a user with no session, which is
// how a request with no cookies at all gets the secret number.
func (s *Server) admits(username, token optional) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tokens[username.value]
	ok = ok && username.set
	admitted := ok == token.set && subtle.ConstantTimeCompare([]byte(stored), []byte(token.value)) == 1
	if admitted {
		s.stats.Served++
	} else {
		s.stats.Denied++
	}
	return admitted
}

// cookie returns the first cookie named name, as Werkzeug's
// request.cookies.get does.
func cookie(r *http.Request, name string) optional {
	c, err := r.Cookie(name)
	if err != nil {
		return optional{}
	}
	return optional{value: c.Value, set: true}
}
