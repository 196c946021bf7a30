package oauth_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/closetest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
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
// it: the stored refresh token is the live one, and the next start does
// not meet invalid_grant (see closetest.CloseDuringRefresh). The
// redisstore module runs the same scenario with Redis.
func TestCloseDuringARefreshLosesNoGrant(t *testing.T) {
	closetest.CloseDuringRefresh(t, func(t *testing.T) tokenrefresh.Store {
		s, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
