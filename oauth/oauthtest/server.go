package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
)

// Server is the fake auth server. It serves the auth side through ServeHTTP
// and the API side through [Server.APIHandler]. Create it with [New]; it is
// safe for concurrent use.
type Server struct {
	now         func() time.Time
	lifetime    time.Duration
	margin      time.Duration
	issuer      string
	apiAudience string
	paths       Paths
	key         *rsa.PrivateKey
	log         *slog.Logger
	authMux     *http.ServeMux
	apiMux      *http.ServeMux

	mu        sync.Mutex           // guards the fields below
	users     map[string]*user     // by email
	usersByID map[string]*user     // by id
	clients   map[string]*Client   // by client id
	issued    map[string]time.Time // exp of each live access token, by jti
	familyOf  map[string]string    // the refresh token family of live access tokens that have one, by jti
	usedJTIs  map[string]time.Time // exp of each accepted assertion, by client id and jti
	faults    []*activeFault
	codes     map[string]*authCode        // live authorization codes, by code
	refreshes map[string]*refreshEntry    // every refresh token issued, by token
	denial    *oauthError                 // the answer of every authorization, if set
	devices   map[string]*deviceGrant     // device authorizations, by device code
	trusted   map[string]crypto.PublicKey // JWT bearer assertion issuers, by iss
	stats     Stats

	deviceApproval int // polls after which a device authorization is approved; 0: never
}

// User is an account of the fake. Its JSON form is that of GET [UsersMePath].
type User struct {
	ID          string `json:"id"`           // a UUID, as the service's
	Email       string `json:"email"`        // the username of the password grant
	IsActive    bool   `json:"is_active"`    // always true: the fake has no inactive users
	IsSuperuser bool   `json:"is_superuser"` // always false
	IsVerified  bool   `json:"is_verified"`  // always false, as for a new account
}

type user struct {
	User
	passwordHash [sha256.Size]byte
}

// Client is an API client of a user: the credentials of the
// client_credentials grant, and of the other grants a client makes. The
// secret prints as REDACTED however it is printed: it is a
// [secret.String], which [github.com/bearer-go/bearer/oauth.ClientAuth]
// takes as it is. The answer of POST [Paths.Clients] is the one place the
// secret is shown.
type Client struct {
	UserID       string        // the user the client acts for; required by AddClient
	ClientID     string        // empty in AddClient means a new UUID
	ClientSecret secret.String // zero in AddClient means a random URL-safe secret
	// RedirectURIs are the redirect URIs of a web application (RFC 6749
	// 3.1.2.2), matched exactly. Empty means a native app, whose redirect
	// URI may be any loopback one (RFC 8252 7.3).
	RedirectURIs []string
}

// New returns a server configured by cfg, with no users and no clients.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Key == nil {
		key, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
		if err != nil {
			return nil, fmt.Errorf("oauthtest: generate signing key: %w", err)
		}
		cfg.Key = key
	}
	s := &Server{
		now:         cfg.Now,
		lifetime:    cfg.TokenLifetime,
		margin:      cfg.ExpiryMargin,
		issuer:      cfg.Issuer,
		apiAudience: cfg.APIAudience,
		paths:       cfg.Paths,
		key:         cfg.Key,
		log:         cfg.Logger,
		users:       map[string]*user{},
		usersByID:   map[string]*user{},
		clients:     map[string]*Client{},
		issued:      map[string]time.Time{},
		familyOf:    map[string]string{},
		usedJTIs:    map[string]time.Time{},
		codes:       map[string]*authCode{},
		refreshes:   map[string]*refreshEntry{},
		devices:     map[string]*deviceGrant{},
		trusted:     map[string]crypto.PublicKey{},
	}
	s.authMux = s.newAuthMux()
	s.apiMux = s.newAPIMux()
	return s, nil
}

// ServeHTTP serves the auth side: the endpoints of [Config.Paths] and the
// metadata document, after any fault injected for the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.serve(s.authMux, w, r)
}

// APIHandler returns the API side: [EchoPath], which accepts the access
// tokens of this server (audience [Config.APIAudience]). Injected faults
// apply to it as well. Serve it from its own httptest server to mirror the
// real service's two hosts.
func (s *Server) APIHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serve(s.apiMux, w, r)
	})
}

// Format prints the server as oauthtest.Server{REDACTED}, whatever the
// verb: it holds live tokens and secrets, which a test's log must not show.
// Use [Server.Stats] to see what happened.
func (s *Server) Format(f fmt.State, _ rune) { redact.Opaque(f, "oauthtest.Server") }

// PublicKey returns the key that verifies access tokens.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// AddUser adds an active account with this email and password and returns
// it. Adding an email again replaces its password and keeps its id.
func (s *Server) AddUser(email, password string) User {
	hash := sha256.Sum256([]byte(password))
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[email]; ok {
		u.passwordHash = hash
		return u.User
	}
	u := &user{User: User{ID: newUUID(), Email: email, IsActive: true}, passwordHash: hash}
	s.users[email] = u
	s.usersByID[u.ID] = u
	return u.User
}

// AddClient registers an API client of the user c.UserID, as POST
// [ClientsPath] does, and returns it. An empty c.ClientID gets a UUID and an
// empty c.ClientSecret a random URL-safe secret; set them to test clients
// whose credentials need encoding. It fails if the user does not exist or
// the client id is taken.
func (s *Server) AddClient(c Client) (Client, error) {
	if c.ClientID == "" {
		c.ClientID = newUUID()
	}
	if c.ClientSecret.IsZero() {
		c.ClientSecret = secret.New(newSecret())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.usersByID[c.UserID]; !ok {
		return Client{}, fmt.Errorf("oauthtest: no user with id %q; add it with AddUser first", c.UserID)
	}
	if _, ok := s.clients[c.ClientID]; ok {
		return Client{}, fmt.Errorf("oauthtest: client id %q is taken", c.ClientID)
	}
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	s.clients[c.ClientID] = &c
	return c, nil
}

// RevokeAll invalidates every access token issued so far: the next request
// that presents one is answered 401, expired or not. Tokens issued later
// are valid.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.issued)
	clear(s.familyOf)
}

func (s *Server) client(id string) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return Client{}, false
	}
	return *c, true
}

// newUUID returns a random (version 4) UUID, RFC 9562 section 5.4.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand.Read crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newSecret returns 32 random bytes, base64url-encoded without padding,
// like the real service's client secrets (43 characters).
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
