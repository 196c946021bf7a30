package boundtest

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Client credentials the DPoP server accepts (client_secret_post or
// client_secret_basic).
const (
	ClientID     = "client"
	ClientSecret = "secret"
)

// tokenLifetime is the expires_in of the tokens the servers issue: long
// enough that no test sees one expire.
const tokenLifetime = time.Hour

// algs is what the servers' DPoP challenges offer (RFC 9449 7.1).
const algs = "ES256 RS256 PS256 EdDSA"

// DPoP is an authorization server and a resource server that share one
// httptest server and verify DPoP proofs:
//
//   - POST /token: the client_credentials grant (client "client", secret
//     "secret") and the refresh_token grant (RFC 6749 6). A request with
//     a valid proof gets token_type DPoP, an access token (a JWT) with
//     cnf.jkt, and a refresh token bound to the same key (RFC 9449 5);
//     one without a proof gets a Bearer token. Errors are RFC 6749 5.2
//     and RFC 9449 8 documents: invalid_dpop_proof, use_dpop_nonce (with
//     a DPoP-Nonce header), invalid_grant.
//   - any other path: the API. It takes a bound token only as
//     "Authorization: DPoP" with a proof whose ath hashes it and whose
//     key is the token's (RFC 9449 7.1); an unbound one as Bearer. It
//     refuses with 401 and a DPoP challenge (RFC 9449 7.1, 9).
//
// Both check every proof as RFC 9449 4.3 says, jti replays included.
type DPoP struct {
	URL string

	now    func() time.Time
	as, rs *verifier
	key    []byte // signs the access tokens, as a real server's would

	mu      sync.Mutex        // guards the fields below
	access  map[string]string // access token → jkt ("" for a Bearer token)
	refresh map[string]string // refresh token → jkt
	proofs  []Proof           // every proof the API accepted
	tokens  int               // token requests
	api     int               // API requests
	revoked bool
}

// NewDPoP starts a DPoP server on a loopback address, closed when t ends.
// now is its clock; nil means time.Now.
func NewDPoP(t testing.TB, now func() time.Time) *DPoP {
	t.Helper()
	if now == nil {
		now = time.Now
	}
	s := &DPoP{now: now, as: newVerifier(now), rs: newVerifier(now), key: []byte(rand.Text()),
		access: map[string]string{}, refresh: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// RequireNonce makes the authorization server (as) and the resource
// server (rs) require the given nonces in proofs; "" requires none.
func (s *DPoP) RequireNonce(as, rs string) {
	s.as.setNonce(as)
	s.rs.setNonce(rs)
}

// Revoke revokes every token issued: the API refuses them, and the
// refresh tokens get invalid_grant.
func (s *DPoP) Revoke() {
	s.mu.Lock()
	s.revoked = true
	s.mu.Unlock()
}

// Proofs returns the proofs the API accepted, in order.
func (s *DPoP) Proofs() []Proof {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Proof(nil), s.proofs...)
}

// Counts returns the token and API requests received.
func (s *DPoP) Counts() (token, api int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens, s.api
}

func (s *DPoP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		s.token(w, r)
		return
	}
	s.resource(w, r)
}

func (s *DPoP) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokens++
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "POST a form")
		return
	}
	jkt := ""
	if r.Header.Get("DPoP") != "" {
		p, err := s.as.check(r, "")
		switch {
		case errors.Is(err, errNonce):
			w.Header().Set("DPoP-Nonce", s.as.currentNonce())
			oauthError(w, http.StatusBadRequest, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof")
			return
		case err != nil:
			oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", err.Error())
			return
		}
		jkt = p.JKT
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
		if !clientAuthenticated(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
			oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
			return
		}
		s.issue(w, jkt)
	case "refresh_token":
		s.refreshGrant(w, r.PostForm.Get("refresh_token"), jkt)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	}
}

func clientAuthenticated(r *http.Request) bool {
	if id, sec, ok := r.BasicAuth(); ok {
		return id == ClientID && sec == ClientSecret
	}
	return r.PostForm.Get("client_id") == ClientID && r.PostForm.Get("client_secret") == ClientSecret
}

// refreshGrant rotates rt, which must be bound to the key that proves
// possession now, if it is bound (RFC 9449 5).
func (s *DPoP) refreshGrant(w http.ResponseWriter, rt, jkt string) {
	s.mu.Lock()
	bound, ok := s.refresh[rt]
	if ok && !s.revoked && bound == jkt {
		delete(s.refresh, rt)
	}
	revoked := s.revoked
	s.mu.Unlock()
	switch {
	case !ok || revoked:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or has been revoked")
	case bound != jkt:
		oauthError(w, http.StatusBadRequest, "invalid_dpop_proof", "The refresh token is bound to another key")
	default:
		s.issue(w, jkt)
	}
}

// issue answers a token response: DPoP-bound to jkt, or Bearer if jkt is
// empty.
func (s *DPoP) issue(w http.ResponseWriter, jkt string) {
	claims := jwt.MapClaims{"sub": ClientID, "jti": rand.Text(), "exp": s.now().Add(tokenLifetime).Unix()}
	typ := "Bearer"
	if jkt != "" {
		claims["cnf"] = map[string]string{"jkt": jkt}
		typ = "DPoP"
	}
	at, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	rt := rand.Text()
	s.mu.Lock()
	s.access[at], s.refresh[rt] = jkt, jkt
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": typ,
		"expires_in": int(tokenLifetime / time.Second), "refresh_token": rt})
}

func (s *DPoP) resource(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.api++
	s.mu.Unlock()
	if tok := bearerValue(r, "Bearer"); tok != "" {
		s.bearer(w, tok)
		return
	}
	tok := bearerValue(r, "DPoP")
	s.mu.Lock()
	jkt, known := s.access[tok]
	revoked := s.revoked
	s.mu.Unlock()
	if !known || revoked || jkt == "" {
		challenge(w, "invalid_token", "The access token is not valid")
		return
	}
	p, err := s.rs.check(r, tok)
	switch {
	case errors.Is(err, errNonce):
		w.Header().Set("DPoP-Nonce", s.rs.currentNonce())
		challenge(w, "use_dpop_nonce", "Resource server requires nonce in DPoP proof")
		return
	case err != nil:
		challenge(w, "invalid_dpop_proof", err.Error())
		return
	case p.JKT != jkt:
		challenge(w, "invalid_dpop_proof", "The proof's key is not the token's")
		return
	}
	s.mu.Lock()
	s.proofs = append(s.proofs, *p)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"jkt":%q}`, jkt)
}

// bearer serves a request that sent tok as a bearer token: only an
// unbound token may be (RFC 9449 7.2).
func (s *DPoP) bearer(w http.ResponseWriter, tok string) {
	s.mu.Lock()
	jkt, known := s.access[tok]
	revoked := s.revoked
	s.mu.Unlock()
	if !known || revoked || jkt != "" {
		challenge(w, "invalid_token", "The access token is not valid as a bearer token")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"jkt":""}`)
}

// challenge refuses a request to the API with 401 and a DPoP challenge
// (RFC 9449 7.1).
func challenge(w http.ResponseWriter, code, description string) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`DPoP error=%q, error_description=%q, algs=%q`, code, description, algs))
	w.WriteHeader(http.StatusUnauthorized)
}

// oauthError answers an RFC 6749 5.2 error document.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// DropAccessTokens makes the API refuse every access token issued so far,
// as after their revocation; the refresh tokens still work.
func (s *DPoP) DropAccessTokens() {
	s.mu.Lock()
	clear(s.access)
	s.mu.Unlock()
}
