package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// The answers a refresh-token grant may get, as servers send them: every
// shape of expires_in, and a refresh token rotated, unchanged, omitted,
// empty or null. Through a Refresher on a real file, twice and across a
// restart, none loses the refresh token: the file always holds the one
// the next refresh must present, each refresh presents it, and every
// token served is valid for a sane time. ({n} is the request's number.)
func TestRefreshAnswersNeverLoseTheRefreshToken(t *testing.T) {
	const year = 366 * 24 * time.Hour
	tests := []struct {
		name, fields string
		rotates      bool // the answer carries refresh token rt-{n}
	}{
		{"rotated", `"refresh_token":"rt-{n}","expires_in":3600`, true},
		{"expires_in 0", `"refresh_token":"rt-{n}","expires_in":0`, true},
		{"expires_in negative", `"refresh_token":"rt-{n}","expires_in":-30`, true},
		{"expires_in absurd", `"refresh_token":"rt-{n}","expires_in":1e300`, true},
		{"expires_in missing", `"refresh_token":"rt-{n}"`, true},
		{"expires_in a string", `"refresh_token":"rt-{n}","expires_in":"3600"`, true},
		{"expires_in null", `"refresh_token":"rt-{n}","expires_in":null`, true},
		{"refresh token unchanged", `"refresh_token":"rt-0","expires_in":3600`, false},
		{"refresh token omitted", `"expires_in":3600`, false},
		{"refresh token empty", `"refresh_token":"","expires_in":3600`, false},
		{"refresh token null", `"refresh_token":null,"expires_in":3600`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex // guards n
			n := 0
			ts := newTokenServer(t, 200, "")
			ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				n++
				body := fmt.Sprintf(`{"access_token":"at-%d","token_type":"Bearer",%s}`, n, strings.ReplaceAll(tt.fields, "{n}", fmt.Sprint(n)))
				mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(body))
			})
			want := func(n int) string { // the refresh token after n refreshes
				if tt.rotates && n > 0 {
					return fmt.Sprintf("rt-%d", n)
				}
				return "rt-0"
			}
			path := filepath.Join(t.TempDir(), "token.json")
			start := func(initial *oauth2.Token) *tokenrefresh.Refresher {
				store, err := tokenrefresh.NewFileStore(path)
				if err != nil {
					t.Fatal(err)
				}
				src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: ts.URL, RefreshToken: secret.New("rt-0"),
					Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "cli"}})
				if err != nil {
					t.Fatal(err)
				}
				cfg := tokenrefresh.Config{Store: store}
				if initial != nil {
					cfg.Initial = secret.New(initial)
				}
				r, err := oauth.NewRefresher(bounded(t), src, cfg)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close() })
				return r
			}
			check := func(r *tokenrefresh.Refresher, refreshes int) *oauth2.Token {
				t.Helper()
				tok, err := r.Token(bounded(t))
				if err != nil || tok.AccessToken != fmt.Sprintf("at-%d", refreshes) {
					t.Fatalf("Token() = %v, %v; want at-%d", tok, err, refreshes)
				}
				if left := time.Until(tok.Expiry); left <= time.Minute || left > year+time.Minute {
					t.Errorf("at-%d expires in %v; want a sane lifetime, up to a year", refreshes, left)
				}
				if reqs := ts.requests(); len(reqs) != refreshes || reqs[refreshes-1].form.Get("refresh_token") != want(refreshes-1) {
					t.Fatalf("%d token requests, the last presenting %q; want %d, presenting %q", len(reqs), reqs[len(reqs)-1].form.Get("refresh_token"), refreshes, want(refreshes-1))
				}
				store, err := tokenrefresh.NewFileStore(path)
				if err != nil {
					t.Fatal(err)
				}
				if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().RefreshToken != want(refreshes) {
					t.Fatalf("the file holds %v, %v; want refresh token %q", e, err, want(refreshes))
				}
				return tok
			}
			r := start(&oauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute)})
			r.Invalidate(check(r, 1))
			check(r, 2)
			r.Close()
			check(start(nil), 2) // resumed from the file, with no request
		})
	}
}

// A server that writes its JWT's exp in milliseconds (a common slip), with
// no expires_in: the exp is in the year 55,000, which no JSON time can
// hold. The lifetime believed is capped at a year, as expires_in's is, and
// the rotated refresh token is saved.
func TestAJWTExpiryInMillisecondsLosesNoRefreshToken(t *testing.T) {
	access := unsignedJWT(t, jwt.MapClaims{"exp": time.Now().Add(time.Hour).UnixMilli()})
	ts := newTokenServer(t, 200, `{"access_token":"`+access+`","token_type":"Bearer","refresh_token":"rt-1"}`)
	path := filepath.Join(t.TempDir(), "token.json")
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: ts.URL, RefreshToken: secret.New("rt-0"),
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "cli"}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := oauth.NewRefresher(bounded(t), src, tokenrefresh.Config{Store: store,
		Initial: secret.New(&oauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: time.Now().Add(-time.Minute)})})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Token(bounded(t))
	if err != nil || tok.AccessToken != access {
		t.Fatalf("Token() = %v, %v; want the JWT", tok, err)
	}
	if left := time.Until(tok.Expiry); left > 366*24*time.Hour {
		t.Errorf("the token is believed to live %v; want a year at most", left)
	}
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().RefreshToken != "rt-1" {
		t.Errorf("the file holds %v, %v; want refresh token rt-1", e, err)
	}
}
