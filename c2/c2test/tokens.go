package c2test

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/bearer-go/bearer/internal/kit"
)

// Details of 401 and 403 answers. None names a token.
const (
	detailMissing  = "Not authenticated"
	detailUnknown  = "Invalid token"
	detailExpired  = "Token has expired; issue a new one at /charon/tokens/issue"
	detailRevoked  = "Token has been revoked; issue a new one at /charon/tokens/issue"
	detailRotated  = "Token has been refreshed; use the token the refresh returned"
	detailMismatch = "The token in the path must be the bearer token"
)

// tokenBytes is the size of a token before hex encoding: 16 bytes make the
// 32 hex characters of a real C2 token.
const tokenBytes = 16

// tokenState is one token. A dead token stays in the map so its 401 can
// say why, and so [Server.Successor] can follow a rotation.
type tokenState struct {
	perms     permSet // never modified after issue; shared by rotations
	lastUsed  time.Time
	dead      string // the 401 detail once dead; "" while alive
	successor string // the token a rotation replaced it with
}

// permSet is the set of platform permission keys a token carries.
type permSet map[string]bool

func newPermSet(keys []string) permSet {
	p := make(permSet, len(keys))
	for _, k := range keys {
		p[k] = true
	}
	return p
}

// allows reports whether the set may view the platform typ/serial.
func (p permSet) allows(typ, serial string) bool {
	return p[AllPlatforms] || p[typ+"/*"] || p[typ+"/"+serial]
}

// IssueToken returns a new token, as a user would copy it from
// /charon/tokens/issue: 32 lowercase hex characters. Its idle period starts
// now.
//
// Each permission is a platform key the token may view: "type/serial"
// (such as "slocum/unit_398"), "type/*" for every platform of a type, or
// [AllPlatforms]. With none, the token gets [Options.DefaultPlatforms].
func (s *Server) IssueToken(platforms ...string) string {
	perms := s.defaults
	if len(platforms) > 0 {
		perms = newPermSet(platforms)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := s.newTokenLocked()
	s.tokens[tok] = &tokenState{perms: perms, lastUsed: s.now()}
	return tok
}

// Revoke kills token at once, as a user revoking it in Charon would; later
// use answers 401. It reports whether the token was alive.
func (s *Server) Revoke(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _ := s.liveLocked(token, s.now())
	if st == nil {
		return false
	}
	st.dead = detailRevoked
	return true
}

// Valid reports whether token would be accepted now. It does not count as a
// use, so it does not extend the token's life.
func (s *Server) Valid(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, _ := s.liveLocked(token, s.now())
	return st != nil
}

// Successor returns the token that a rotation of token produced, whether
// or not the client received the answer. It reports false if token was
// never rotated.
func (s *Server) Successor(token string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.tokens[token]
	if !ok || st.successor == "" {
		return "", false
	}
	return st.successor, true
}

// newTokenLocked draws a token that was never issued before.
func (s *Server) newTokenLocked() string {
	b := make([]byte, tokenBytes)
	for {
		if _, err := io.ReadFull(s.rand, b); err != nil {
			panic(fmt.Sprintf("c2test: reading token bytes: %v", err))
		}
		tok := hex.EncodeToString(b)
		if _, taken := s.tokens[tok]; !taken {
			return tok
		}
	}
}

// liveLocked returns the state of token if it is alive at now, or else the
// detail of the 401 to answer. It marks a token dead when it finds it
// expired.
func (s *Server) liveLocked(token string, now time.Time) (*tokenState, string) {
	st, ok := s.tokens[token]
	switch {
	case !ok:
		return nil, detailUnknown
	case st.dead != "":
		return nil, st.dead
	case !now.Before(st.lastUsed.Add(s.idle)):
		st.dead = detailExpired
		return nil, detailExpired
	}
	return st, ""
}

// authenticate checks r's bearer token and counts the request as a use of
// it. On failure it answers 401 and returns false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (permSet, bool) {
	tok, ok := kit.BearerToken(r)
	if !ok {
		writeUnauthorized(w, detailMissing, false)
		return nil, false
	}
	s.mu.Lock()
	now := s.now()
	st, detail := s.liveLocked(tok, now)
	if st != nil {
		st.lastUsed = now
	}
	s.mu.Unlock()
	if st == nil {
		writeUnauthorized(w, detail, true)
		return nil, false
	}
	return st.perms, true
}

// writeUnauthorized answers 401 with a FastAPI detail and a challenge. As
// RFC 6750 section 3.1 asks, a request without credentials gets a bare
// challenge, and a request with a bad token gets error="invalid_token".
func writeUnauthorized(w http.ResponseWriter, detail string, tokenGiven bool) {
	challenge := "Bearer"
	if tokenGiven {
		challenge = `Bearer error="invalid_token", error_description="` + detail + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeDetail(w, http.StatusUnauthorized, detail)
}

// handleRotate serves PUT /charon/tokens/{token}: Charon's refresh. The
// bearer token authenticates (401 if it is not alive); the path must name
// that same token (403 otherwise). The answer is {"payload": new token}; the
// old token dies at once and the new one keeps its permissions.
func (s *Server) handleRotate(w http.ResponseWriter, r *http.Request) {
	tok, ok := kit.BearerToken(r)
	if !ok {
		writeUnauthorized(w, detailMissing, false)
		return
	}
	next, status, detail := s.rotate(tok, r.PathValue("token"))
	switch status {
	case http.StatusUnauthorized:
		writeUnauthorized(w, detail, true)
	case http.StatusForbidden:
		writeDetail(w, status, detail)
	default:
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "c2test: token rotated")
		if s.onRotate != nil {
			s.onRotate()
		}
		writeJSON(w, http.StatusOK, map[string]string{"payload": next})
	}
}

// rotate replaces bearer with a new token if it is alive and path names it.
// Checking and replacing under one lock makes concurrent rotations of one
// token produce exactly one successor.
func (s *Server) rotate(bearer, path string) (next string, status int, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	st, detail := s.liveLocked(bearer, now)
	if st == nil {
		return "", http.StatusUnauthorized, detail
	}
	st.lastUsed = now
	if subtle.ConstantTimeCompare([]byte(bearer), []byte(path)) != 1 {
		return "", http.StatusForbidden, detailMismatch
	}
	next = s.newTokenLocked()
	s.tokens[next] = &tokenState{perms: st.perms, lastUsed: now}
	st.dead, st.successor = detailRotated, next
	s.stats.Rotations++
	return next, http.StatusOK, ""
}
