package oauth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/closetest"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
)

// A rotating server answers a new refresh token with an access token
// already expired by our clock (skew; no expires_in). The refresh token
// is kept and used for a usable access token: the grant lives on.
func TestExpiredAccessTokenWithANewRefreshTokenKeepsTheGrant(t *testing.T) {
	srv := closetest.NewRotatingServer(t)
	srv.AccessLife = func(n int) time.Duration {
		if n == 2 {
			return -time.Minute // the first answer's access token
		}
		return time.Hour
	}
	src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: srv.URL, RefreshToken: secret.New(srv.Grant())})
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
	if err != nil || !srv.Alive(e.Token.Reveal().RefreshToken) {
		t.Errorf("store holds %v, %v; want the live refresh token", e, err)
	}
}

// Close while a refresh is in flight: the server has rotated the refresh
// token and answers 400 ms later. Close waits for the answer and saves
// it, with a FileStore and with Redis: the stored refresh token is the
// live one, and the next start does not meet invalid_grant (see
// closetest.CloseDuringRefresh).
func TestCloseDuringARefreshLosesNoGrant(t *testing.T) {
	stores := map[string]closetest.NewStore{
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
			closetest.CloseDuringRefresh(t, newStore)
		})
	}
}
