package closetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/golang-jwt/jwt/v5"
)

// RotatingServer is a token endpoint that rotates refresh tokens (RFC
// 9700 4.14.2): each refresh token works once; the answer carries the
// next one; presenting a used one revokes the whole grant and answers
// invalid_grant (RFC 6749 5.2). Access tokens are HS256 JWTs whose exp
// is set by AccessLife (negative: already expired by the client's clock),
// sent without expires_in.
type RotatingServer struct {
	*httptest.Server
	// AccessLife is the lifetime of the n-th access token: an hour,
	// unless a test sets it before the first refresh.
	AccessLife func(n int) time.Duration
	applied    chan struct{} // if set, receives after each rotation is applied
	delay      time.Duration // the answer leaves this long after the rotation

	mu      sync.Mutex // guards the fields below
	live    map[string]bool
	used    map[string]bool
	revoked bool
	n       int
}

// NewRotatingServer serves a RotatingServer until the end of the test.
func NewRotatingServer(t *testing.T) *RotatingServer {
	t.Helper()
	s := &RotatingServer{live: map[string]bool{}, used: map[string]bool{},
		AccessLife: func(int) time.Duration { return time.Hour }}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Grant starts a grant and returns its first refresh token.
func (s *RotatingServer) Grant() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	rt := fmt.Sprintf("rt-%d", s.n)
	s.live[rt] = true
	return rt
}

// Alive reports whether rt can still be used.
func (s *RotatingServer) Alive(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live[rt] && !s.revoked
}

func (s *RotatingServer) serve(w http.ResponseWriter, r *http.Request) {
	rt := r.PostFormValue("refresh_token")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	body, ok := s.rotate(rt)
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": "refresh token is invalid, used or revoked"})
		return
	}
	if s.applied != nil {
		s.applied <- struct{}{}
	}
	time.Sleep(s.delay) // the answer's travel time, not synchronisation
	json.NewEncoder(w).Encode(body)
}

// rotate applies the rotation of rt and returns the answer's body.
func (s *RotatingServer) rotate(rt string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used[rt] {
		s.revoked = true // reuse: the grant is compromised
	}
	if !s.live[rt] || s.revoked {
		return nil, false
	}
	delete(s.live, rt)
	s.used[rt] = true
	s.n++
	next := fmt.Sprintf("rt-%d", s.n)
	s.live[next] = true
	exp := time.Now().Add(s.AccessLife(s.n))
	access, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "exp": exp.Unix()}).SignedString([]byte("k"))
	return map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": next}, true
}

// CloseDuringRefresh closes an oauth Refresher while a refresh is in
// flight: the server has rotated the refresh token and answers 400 ms
// later. Close waits for the answer and saves it: the stored refresh
// token is the live one, and the next start does not meet invalid_grant.
// Each run starts a new grant, with a new store from newStore.
func CloseDuringRefresh(t *testing.T, newStore NewStore) {
	t.Helper()
	srv := NewRotatingServer(t)
	srv.applied, srv.delay = make(chan struct{}, 1), answerDelay
	lost := 0
	n := runs()
	for i := range n {
		store := newStore(t)
		src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: srv.URL, RefreshToken: secret.New(srv.Grant())})
		if err != nil {
			t.Fatal(err)
		}
		r, err := oauth.NewRefresher(context.Background(), src, tokenrefresh.Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.applied:
		case <-time.After(waitLimit):
			t.Fatal("the refresh never reached the server")
		}
		r.Close()
		e, err := store.Load(context.Background())
		if err != nil || !srv.Alive(e.Token.Reveal().RefreshToken) {
			lost++
			t.Errorf("run %d: after Close the store holds %v, %v; want the live refresh token", i, e, err)
		}
	}
	t.Logf("%d Closes during a refresh answered %v later; %d grants lost", n, answerDelay, lost)
}
