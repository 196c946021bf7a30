package jwtapitest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Paths of the seed project's openapi.yaml.
const (
	PathSignup         = "/users/v1/signup"          // POST, JSON credentials
	PathLogin          = "/users/v1/login"           // POST, JSON credentials
	PathLogout         = "/users/v1/logout"          // GET, Bearer access token
	PathGenerateTokens = "/users/v1/generate_tokens" // GET, Bearer refresh token
	PathFilms          = "/films/v1/"                // GET, Bearer access token (basic); PathFilms+"{film_id}" for one
	PathUsers          = "/users/v1/"                // GET PathUsers+"{user_id}", Bearer access token (admin)
)

// Token lifetimes of the seed's config/v1/app_config.py.
const (
	DefaultAccessTTL  = 10 * time.Hour // JWT_ACCESS_HOURS
	DefaultRefreshTTL = 24 * time.Hour // JWT_REFRESH_HOURS
)

// Issuer is the iss claim of every token, the seed's JWT_ISSUER.
const Issuer = "fathat.org"

// maxBodyBytes bounds every request body the server reads; 1 MiB is the
// project's figure (STYLE.md, rule 8), far above any credentials document.
const maxBodyBytes = 1 << 20

// secretBytes is the size of a generated signing secret: the seed's secrets
// are 32 characters; 32 random bytes are at least as strong for HS256.
const secretBytes = 32

// Role is an access role. Roles are ordered as in the seed's access_roles():
// an endpoint that needs basic also admits admin.
type Role string

// The seed's two roles.
const (
	RoleBasic Role = "basic"
	RoleAdmin Role = "admin"
)

// level is the role's rank in the seed's access_roles(); 0 for an unknown role.
func (r Role) level() int {
	switch r {
	case RoleBasic:
		return 1
	case RoleAdmin:
		return 2
	}
	return 0
}

// Stats counts what the server has answered since [New].
type Stats struct {
	Signups         int // 200 from signup
	Logins          int // 200 from login
	LoginsFailed    int // any other answer from login
	AlreadyLoggedIn int // of LoginsFailed: 400 user-already-logged-in
	Refreshes       int // 200 from generate_tokens
	Logouts         int // 200 from logout

	// Rejections of a token, by cause.
	NoToken               int // 401: no bearer token, connexion's "No authorization token provided"
	TokenExpired          int // 401 token-expired
	TokenInvalid          int // token-invalid: 401 (bad signature, wrong kind, revoked, malformed), or the refresh's 403 for another user's old_access_token
	AuthorisationRequired int // 401 authorisation-required (role too low)

	Unavailable int // 503 "service unavailable": the Redis of revoked tokens is down (see [Server.SetRedisDown])
	Crashes     int // 500: where the seed's code raises an error it does not handle
}

// Server is the fake JWT API. Create it with [New]; the zero value is not
// usable. It is safe for concurrent use; reuse one per test.
type Server struct {
	now           func() time.Time
	accessTTL     time.Duration
	refreshTTL    time.Duration
	accessSecret  []byte
	refreshSecret []byte
	logger        *slog.Logger
	mux           *http.ServeMux

	mu        sync.Mutex            // guards users, byEmail, revoked, redisDown and stats
	users     []*user               // users[id-1]; ids start at 1, like MySQL's AUTO_INCREMENT
	byEmail   map[string]*user      // lower-case email → user
	revoked   map[[32]byte]struct{} // SHA-256 of each revoked token; never pruned, like the seed's Redis set
	redisDown bool                  // the Redis of revoked tokens does not answer
	stats     Stats
}

// user is one account, a row of the seed's users table. It is only read
// or written with Server.mu held.
type user struct {
	id       int
	email    string
	password [32]byte // SHA-256 of the password
	role     Role
	verified bool   // email_verified: login refuses an account until its email is
	loggedIn bool   // logged_in: set by login, cleared by logout only
	refresh  string // refresh_token: the one issued at the last login or refresh
}

// Option configures a [Server] in [New].
type Option func(*Server) error

// WithClock sets the clock the server reads to issue and check tokens. The
// default is [time.Now].
func WithClock(now func() time.Time) Option {
	return func(s *Server) error {
		if now == nil {
			return errors.New("jwtapitest: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// WithAccessTTL sets the lifetime of access tokens; the default is
// [DefaultAccessTTL]. Tokens carry exp in whole seconds, so d must be at
// least a second.
func WithAccessTTL(d time.Duration) Option {
	return func(s *Server) error {
		if d < time.Second {
			return fmt.Errorf("jwtapitest: WithAccessTTL(%v): want at least 1s", d)
		}
		s.accessTTL = d
		return nil
	}
}

// WithRefreshTTL sets the lifetime of refresh tokens; the default is
// [DefaultRefreshTTL]. It must be at least a second.
func WithRefreshTTL(d time.Duration) Option {
	return func(s *Server) error {
		if d < time.Second {
			return fmt.Errorf("jwtapitest: WithRefreshTTL(%v): want at least 1s", d)
		}
		s.refreshTTL = d
		return nil
	}
}

// WithSecrets sets the HS256 secrets of access and refresh tokens, so a test
// can check or forge them. They must differ, as the seed's JWT_SECRET and
// JWT_REFRESH_SECRET do, and be at least 16 bytes. By default each server
// draws its own random secrets.
func WithSecrets(access, refresh []byte) Option {
	return func(s *Server) error {
		if len(access) < 16 || len(refresh) < 16 {
			return errors.New("jwtapitest: WithSecrets: each secret must be at least 16 bytes")
		}
		if string(access) == string(refresh) {
			return errors.New("jwtapitest: WithSecrets: access and refresh secrets must differ")
		}
		s.accessSecret = append([]byte(nil), access...)
		s.refreshSecret = append([]byte(nil), refresh...)
		return nil
	}
}

// WithLogger sets where the server logs sign-ups, logins and rejections
// (emails, user ids and error codes; never passwords or tokens). The default
// discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) error {
		if l == nil {
			return errors.New("jwtapitest: WithLogger: nil logger")
		}
		s.logger = l
		return nil
	}
}

// New returns a server with no users.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		now:        time.Now,
		accessTTL:  DefaultAccessTTL,
		refreshTTL: DefaultRefreshTTL,
		logger:     slog.New(slog.DiscardHandler),
		byEmail:    make(map[string]*user),
		revoked:    make(map[[32]byte]struct{}),
	}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	if s.accessSecret == nil {
		s.accessSecret, s.refreshSecret = make([]byte, secretBytes), make([]byte, secretBytes)
		if _, err := rand.Read(s.accessSecret); err != nil {
			return nil, fmt.Errorf("jwtapitest: generate secret: %w", err)
		}
		if _, err := rand.Read(s.refreshSecret); err != nil {
			return nil, fmt.Errorf("jwtapitest: generate secret: %w", err)
		}
	}
	s.routes()
	return s, nil
}

// routes registers every endpoint.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST "+PathSignup, s.handleSignup)
	s.mux.HandleFunc("POST "+PathLogin, s.handleLogin)
	s.mux.Handle("GET "+PathLogout, s.secured(accessToken, RoleBasic, nil, s.handleLogout))
	s.mux.Handle("GET "+PathGenerateTokens, s.secured(refreshToken, RoleBasic, requireQuery("old_access_token"), s.handleGenerateTokens))
	s.mux.Handle("GET "+PathFilms+"{$}", s.secured(accessToken, RoleBasic, nil, s.handleFilms))
	// Unsecured, as in the seed: it marks /films/v1/ only.
	s.mux.HandleFunc("GET "+PathFilms+"{film_id}", s.handleFilm)
	// Not wrapped: a user_id that is not an integer is a 404 before any token check.
	s.mux.HandleFunc(userRoute, s.handleGetUser)
}

// ServeHTTP implements [http.Handler]. A path no endpoint has gets
// connexion's 404 problem document; a known path with another method,
// its 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.routed(r) {
		if allow := s.allowed(r); allow != "" {
			w.Header().Set("Allow", allow)
			writeProblem(w, http.StatusMethodNotAllowed, methodNotAllowedDetail)
			return
		}
		writeProblem(w, http.StatusNotFound, notFoundDetail)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// userRoute is the pattern of GET /users/v1/{user_id}, whose user_id is
// an int in the seed's route: other text does not match it.
const userRoute = "GET " + PathUsers + "{user_id}"

// routed reports whether an endpoint serves r, as Flask's routes match.
func (s *Server) routed(r *http.Request) bool {
	_, pattern := s.mux.Handler(r)
	switch pattern {
	case "":
		return false
	case userRoute:
		return isDigits(strings.TrimPrefix(r.URL.Path, PathUsers))
	}
	return true
}

// allowed returns the methods some endpoint serves r's path with, as an
// Allow header; "" if none.
func (s *Server) allowed(r *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if s.routed(probe) {
			methods = append(methods, m)
		}
	}
	return strings.Join(methods, ", ")
}

// AddUser adds an account whose email is verified, as after the link of
// the seed's verification email, and returns its id. The email and
// password must pass the seed's schema checks (see the package
// documentation), since login applies them too.
func (s *Server) AddUser(email, password string, role Role) (int, error) {
	email = strings.ToLower(email)
	if detail := validateCredentials(email, password); detail != "" {
		return 0, fmt.Errorf("jwtapitest: AddUser: %s", detail)
	}
	if role.level() == 0 {
		return 0, fmt.Errorf("jwtapitest: AddUser: unknown role %q", role)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.addUserLocked(email, password, role)
	if !ok {
		return 0, fmt.Errorf("jwtapitest: AddUser: %s already exists", email)
	}
	u.verified = true
	return u.id, nil
}

// addUserLocked creates an unverified account unless the email is taken.
// s.mu must be held.
func (s *Server) addUserLocked(email, password string, role Role) (*user, bool) {
	if _, taken := s.byEmail[email]; taken {
		return nil, false
	}
	u := &user{id: len(s.users) + 1, email: email, password: sha256.Sum256([]byte(password)), role: role}
	s.users = append(s.users, u)
	s.byEmail[email] = u
	return u, true
}

// VerifyEmail marks the email of an account made by signup verified, as
// following the link of the seed's verification email does (the fake sends
// no email): until then, its logins are refused with email-unverified.
func (s *Server) VerifyEmail(email string) error {
	return s.changeUser("VerifyEmail", email, func(u *user) { u.verified = true })
}

// SetRedisDown makes the Redis of revoked tokens stop answering, or answer
// again. While it is down, the server answers as the seed's code does:
// every secured endpoint 503 {"message": "service unavailable"} (its
// check of the revocation set fails first), and a login that must revoke
// the refresh token of an earlier login 500 (the seed does not catch that
// error). Tokens revoked before stay revoked.
func (s *Server) SetRedisDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redisDown = down
}

// changeUser applies change to the user with this email, under the lock;
// op names the caller in the error for an unknown email.
func (s *Server) changeUser(op, email string, change func(*user)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.byEmail[strings.ToLower(email)]
	if !ok {
		return fmt.Errorf("jwtapitest: %s: no user %s", op, email)
	}
	change(u)
	return nil
}

// samePassword reports, in constant time, whether password is u's.
func samePassword(u *user, password string) bool {
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(got[:], u.password[:]) == 1
}

// Promote makes the user with this email an admin. Tokens already issued
// keep the role they were signed with; the next login or refresh carries admin.
func (s *Server) Promote(email string) error {
	return s.changeUser("Promote", email, func(u *user) { u.role = RoleAdmin })
}

// Revoke adds a token to the revocation set, as the seed's logout does with
// Redis: the server answers token-invalid to it from now on.
func (s *Server) Revoke(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[tokenKey(token)] = struct{}{}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// tokenKey is how the revocation set names a token without holding it.
func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// errRedisDown is the failure of a call to the Redis of revoked tokens.
var errRedisDown = errors.New("redis: connection refused")

// isRevoked reports whether token is in the revocation set: the seed's
// is_revoked, which fails while Redis is down.
func (s *Server) isRevoked(token string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.redisDown {
		return false, errRedisDown
	}
	_, ok := s.revoked[tokenKey(token)]
	return ok, nil
}

// revokeLocked adds token to the revocation set: the seed's
// redis_connection.set. s.mu must be held.
func (s *Server) revokeLocked(token string) error {
	if s.redisDown {
		return errRedisDown
	}
	s.revoked[tokenKey(token)] = struct{}{}
	return nil
}

// uuid4 returns a random RFC 9562 version 4 UUID, like Python's uuid.uuid4().
func uuid4() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
