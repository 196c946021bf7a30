package oauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
)

// rotatingServer is a token endpoint that rotates refresh tokens (RFC
// 9700 4.14.2): each refresh token works once; the answer carries the
// next one; presenting a used one revokes the whole grant and answers
// invalid_grant (RFC 6749 5.2). Access tokens are HS256 JWTs whose exp
// is set by accessLife (negative: already expired by the client's clock),
// sent without expires_in.
type rotatingServer struct {
	*httptest.Server
	accessLife func(n int) time.Duration // lifetime of the n-th access token
	applied    chan struct{}             // if set, receives after each rotation is applied
	delay      time.Duration             // the answer leaves this long after the rotation

	mu      sync.Mutex // guards the fields below
	live    map[string]bool
	used    map[string]bool
	revoked bool
	n       int
}

func newRotatingServer(t *testing.T) *rotatingServer {
	t.Helper()
	s := &rotatingServer{live: map[string]bool{}, used: map[string]bool{},
		accessLife: func(int) time.Duration { return time.Hour }}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// grant starts a grant and returns its first refresh token.
func (s *rotatingServer) grant() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	rt := fmt.Sprintf("rt-%d", s.n)
	s.live[rt] = true
	return rt
}

// alive reports whether rt can still be used.
func (s *rotatingServer) alive(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live[rt] && !s.revoked
}

func (s *rotatingServer) serve(w http.ResponseWriter, r *http.Request) {
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
func (s *rotatingServer) rotate(rt string) (map[string]any, bool) {
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
	exp := time.Now().Add(s.accessLife(s.n))
	access, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "u", "exp": exp.Unix()}).SignedString([]byte("k"))
	return map[string]any{"access_token": access, "token_type": "Bearer", "refresh_token": next}, true
}

// A rotating server answers a new refresh token with an access token
// already expired by our clock (skew; no expires_in). The refresh token
// is kept and used for a usable access token: the grant lives on.
func TestExpiredAccessTokenWithANewRefreshTokenKeepsTheGrant(t *testing.T) {
	srv := newRotatingServer(t)
	srv.accessLife = func(n int) time.Duration {
		if n == 2 {
			return -time.Minute // the first answer's access token
		}
		return time.Hour
	}
	src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: srv.URL, RefreshToken: secret.New(srv.grant())})
	if err != nil {
		t.Fatal(err)
	}
	store := &tokenrefresh.MemoryStore{}
	r, err := oauth.NewRefresher(context.Background(), src, tokenrefresh.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := r.Token(ctx)
	if err != nil {
		t.Fatalf("Token() = %v; want a usable token from the kept refresh token", err)
	}
	if !tok.Expiry.After(time.Now()) {
		t.Errorf("Token() expires at %v; want a usable token", tok.Expiry)
	}
	e, err := store.Load(ctx)
	if err != nil || !srv.alive(e.Token.Reveal().RefreshToken) {
		t.Errorf("store holds %v, %v; want the live refresh token", e, err)
	}
}

// Close while a refresh is in flight: the server has rotated the refresh
// token and answers 400 ms later. Close waits for the answer and saves
// it, with a FileStore and with Redis: the stored refresh token is the
// live one, and the next start does not meet invalid_grant.
func TestCloseDuringARefreshLosesNoGrant(t *testing.T) {
	runs := 50
	if testing.Short() {
		runs = 5
	}
	stores := map[string]func(t *testing.T) tokenrefresh.Store{
		"file": func(t *testing.T) tokenrefresh.Store {
			s, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"redis": func(t *testing.T) tokenrefresh.Store {
			addr := redistest.Shared(t)
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			s, err := redisstore.New(rdb, redistest.Key(t, addr))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newRotatingServer(t)
			srv.applied, srv.delay = make(chan struct{}, 1), 400*time.Millisecond
			lost := 0
			for i := range runs {
				store := newStore(t)
				src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: srv.URL, RefreshToken: secret.New(srv.grant())})
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
				if err != nil || !srv.alive(e.Token.Reveal().RefreshToken) {
					lost++
					t.Errorf("run %d: after Close the store holds %v, %v; want the live refresh token", i, e, err)
				}
			}
			t.Logf("%s store: %d Closes during a refresh answered 400ms later; %d grants lost", name, runs, lost)
		})
	}
}
