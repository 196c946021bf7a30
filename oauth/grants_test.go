package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

func TestClientCredentialsAgainstFakeauth(t *testing.T) {
	f := setupFake(t, fixedNow)
	for _, m := range []oauth.AuthMethod{oauth.ClientSecretBasic, oauth.ClientSecretPost, oauth.ClientSecretJWT} {
		t.Run(string(m), func(t *testing.T) {
			cc := clientCredentials(t, f.tokenURL(), oauth.ClientAuth{Method: m, ID: f.client.ClientID, Secret: f.client.ClientSecret})
			tok, err := cc.Token(bounded(t))
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			// 15-minute tokens, answered with expires_in a minute short.
			if !tok.Expiry.Equal(epoch.Add(14 * time.Minute)) {
				t.Errorf("Expiry = %v; want expires_in 840 s after %v", tok.Expiry, epoch)
			}
			if f.srv.Stats().AuthMethods[oauthtest.AuthMethod(m)] != 1 {
				t.Errorf("oauthtest saw %v; want one %s request", f.srv.Stats().AuthMethods, m)
			}
		})
	}
}

func TestPasswordAgainstFakeauth(t *testing.T) {
	f := setupFake(t, fixedNow)
	p, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: f.tokenURL(), Username: testEmail, Password: secret.New(testPassword),
		Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.Token(bounded(t))
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	if tok.Extra("expires_at") == nil || tok.RefreshToken != "" {
		t.Errorf("token = %+v; want expires_at kept and no refresh token", tok)
	}
}

// newRefresher wraps src in a Refresher on clk, closed with the test.
func newRefresher(t *testing.T, src oauth.Source, clk *fakeclock.Clock, cfg tokenrefresh.Config) *tokenrefresh.Refresher {
	t.Helper()
	cfg.Clock, cfg.Jitter = clk, -1
	r, err := oauth.NewRefresher(context.Background(), src, cfg)
	if err != nil {
		t.Fatalf("NewRefresher: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestBadCredentialsAreTriedOnce(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	p, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: f.tokenURL(), Username: testEmail, Password: secret.New("wrong"),
		Settings: oauth.Settings{Now: clk.Now}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRefresher(t, p, clk, tokenrefresh.Config{})
	for i := range 3 {
		_, err := r.Token(bounded(t))
		if !errors.Is(err, oauth.ErrInvalidGrant) || !tokenrefresh.IsPermanent(err) {
			t.Fatalf("Token() #%d = %v; want the permanent bad-credentials error", i, err)
		}
		clk.Advance(24 * time.Hour)
	}
	if n := f.srv.Stats().TokenCalls["password"]; n != 1 {
		t.Errorf("token endpoint called %d times; want exactly 1 (no retries on bad credentials)", n)
	}
	if st := r.Status(); !st.Permanent || st.Healthy {
		t.Errorf("Status() = %+v; want a permanent failure", st)
	}
}

func TestPasswordLogsInAgainWithoutRefreshToken(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	p, _ := oauth.NewPassword(oauth.PasswordConfig{TokenURL: f.tokenURL(), Username: testEmail, Password: secret.New(testPassword),
		Settings: oauth.Settings{Now: clk.Now}})
	rotated := make(chan *oauth2.Token, 10)
	r := newRefresher(t, p, clk, tokenrefresh.Config{OnRotate: func(_, n *oauth2.Token) { rotated <- n }})
	first, err := r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	<-rotated
	// A 15-minute token (expires_in 840 s) is refreshed about 11 minutes in.
	at, err := clk.AwaitTimer(bounded(t), func(time.Time) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if in := at.Sub(epoch); in < 10*time.Minute || in > 12*time.Minute {
		t.Errorf("refresh planned %v after login; want about 11 minutes", in)
	}
	clk.Advance(at.Sub(clk.Now()))
	select {
	case next := <-rotated:
		if next.AccessToken == first.AccessToken || f.me(t, next.AccessToken) != http.StatusOK {
			t.Error("the refresh did not produce a new working token")
		}
	case <-time.After(waitLimit):
		t.Fatal("no refresh")
	}
	if st := f.srv.Stats().TokenCalls; st["password"] != 2 || st["refresh_token"] != 0 {
		t.Errorf("TokenCalls = %v; want two password logins and no refresh_token grant", st)
	}
}

func TestPasswordPrefersRefreshTokenThenLogsIn(t *testing.T) {
	ts := newTokenServer(t, 400, `{"error":"invalid_grant"}`)
	p, _ := oauth.NewPassword(oauth.PasswordConfig{TokenURL: ts.URL, Username: "u", Password: secret.New("pw-secret-1"),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "c", Secret: secret.New("s")}, Settings: oauth.Settings{Now: fixedNow}})
	ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Form.Get("grant_type") == "refresh_token" {
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		w.Write([]byte(`{"access_token":"fresh","refresh_token":"r2","expires_in":60}`))
	})
	tok, err := p.Refresh(bounded(t), &oauth2.Token{AccessToken: "old", RefreshToken: "r1"})
	if err != nil || tok.AccessToken != "fresh" {
		t.Fatalf("Refresh() = %v, %v; want the token of a new login", tok, err)
	}
	reqs := ts.requests()
	if len(reqs) != 2 || reqs[0].form.Get("refresh_token") != "r1" || reqs[1].form.Get("grant_type") != "password" {
		t.Errorf("requests = %+v; want refresh_token r1, then password", reqs)
	}
	if reqs[1].form.Get("username") != "u" || reqs[1].form.Get("password") != "pw-secret-1" {
		t.Errorf("password form = %v", reqs[1].form)
	}
}

func TestRefreshTokenKeepsOldWhenNoneReturned(t *testing.T) {
	ts := newTokenServer(t, 200, `{"access_token":"a2","expires_in":60}`)
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: ts.URL, RefreshToken: secret.New("r0"),
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "cli"}, Scopes: []string{"read"}, Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rt.Refresh(bounded(t), nil)
	if err != nil || tok.RefreshToken != "r0" || tok.AccessToken != "a2" {
		t.Fatalf("Refresh(nil) = %+v, %v; want a2 keeping refresh token r0", tok, err)
	}
	const want = "client_id=cli&grant_type=refresh_token&refresh_token=r0&scope=read"
	if got := ts.last(t).body; got != want {
		t.Errorf("body = %q; want %q", got, want)
	}
	ts.setAnswer(200, `{"access_token":"a3","refresh_token":"r1","expires_in":60}`)
	tok, err = rt.Refresh(bounded(t), tok)
	if err != nil || tok.RefreshToken != "r1" {
		t.Errorf("Refresh() with rotation = %+v, %v; want the new refresh token r1", tok, err)
	}
}

func TestRefreshTokenWithoutOneIsPermanent(t *testing.T) {
	rt, _ := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: "https://as.example/token"})
	_, err := rt.Refresh(bounded(t), &oauth2.Token{AccessToken: "a"})
	if !errors.Is(err, oauth.ErrNoRefreshToken) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Refresh() without a refresh token = %v; want permanent ErrNoRefreshToken", err)
	}
}

func TestRotatedRefreshTokenIsPersisted(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	ac := newAuthCode(t, f, clk.Now, nil)
	first, err := ac.Login(bounded(t))
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	path := filepath.Join(t.TempDir(), "token.json")
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	rotated := make(chan *oauth2.Token, 10)
	r := newRefresher(t, ac, clk, tokenrefresh.Config{Initial: secret.New(first), Store: store, OnRotate: func(_, n *oauth2.Token) { rotated <- n }})
	at, err := clk.AwaitTimer(bounded(t), func(time.Time) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(at.Sub(clk.Now()))
	var next *oauth2.Token
	select {
	case next = <-rotated:
	case <-time.After(waitLimit):
		t.Fatal("no rotation")
	}
	if next.RefreshToken == "" || next.RefreshToken == first.RefreshToken {
		t.Fatalf("rotation gave refresh token %q; want a new one", next.RefreshToken)
	}
	e, err := store.Load(bounded(t))
	if err != nil || e.Token.Reveal().RefreshToken != next.RefreshToken {
		t.Errorf("store holds %v, %v; want the rotated refresh token", e, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	r.Close()

	// Reusing the rotated-out refresh token is refused, permanently, and
	// the server revokes the whole family.
	_, err = ac.Refresh(bounded(t), first)
	if !errors.Is(err, oauth.ErrInvalidGrant) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Refresh() with the old refresh token = %v; want permanent invalid_grant", err)
	}
	if _, err := ac.Refresh(bounded(t), next); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("Refresh() after reuse detection = %v; want the family revoked", err)
	}
	if strings.Contains(err.Error(), first.RefreshToken) {
		t.Error("the error quotes the refresh token")
	}
}

// The trap of issue 12: Refresh(ctx, nil) twice used to present the
// configured refresh token again after the server had rotated it, and a
// server with reuse detection (oauthtest, like fosite and RFC 9700
// 4.14.2) then revokes the whole grant.
func TestRefreshNilTwiceNeverReusesARotatedToken(t *testing.T) {
	f := setupFake(t, fixedNow)
	first, err := newAuthCode(t, f, fixedNow, nil).Login(bounded(t))
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: f.tokenURL(), RefreshToken: secret.New(first.RefreshToken),
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: f.client.ClientID, Secret: f.client.ClientSecret},
		Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	var prev string
	for i := range 3 {
		tok, err := rt.Refresh(bounded(t), nil)
		if err != nil {
			t.Fatalf("Refresh(nil) #%d = %v; want the newest refresh token presented", i+1, err)
		}
		if tok.RefreshToken == prev || tok.RefreshToken == first.RefreshToken {
			t.Fatalf("Refresh(nil) #%d kept refresh token %q; want a rotated one", i+1, tok.RefreshToken)
		}
		prev = tok.RefreshToken
	}
	if st := f.srv.Stats().TokenCalls; st["refresh_token"] != 3 {
		t.Errorf("TokenCalls = %v; want 3 refresh_token grants", st)
	}
}

func TestParamsGoToEveryRefresh(t *testing.T) {
	params := url.Values{"resource": {"https://api.example/a", "https://api.example/b"}, "audience": {"api"}}
	ts := newTokenServer(t, 200, `{"access_token":"a2","refresh_token":"r2","expires_in":60}`)
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: ts.URL, RefreshToken: secret.New("r1"),
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "cli"}, Params: params, Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: ts.URL, Username: "u", Password: secret.New("pw"),
		Params: params, Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Refresh(bounded(t), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refresh(bounded(t), &oauth2.Token{AccessToken: "a", RefreshToken: "r9"}); err != nil {
		t.Fatal(err)
	}
	for i, r := range ts.requests() {
		if r.form.Get("grant_type") != "refresh_token" || len(r.form["resource"]) != 2 || r.form.Get("audience") != "api" {
			t.Errorf("request %d = %v; want a refresh with both resources and the audience (RFC 8707 2.2)", i, r.form)
		}
	}
	if _, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: ts.URL, Params: url.Values{"refresh_token": {"x"}}}); err == nil {
		t.Error("NewRefreshToken accepted Params that override refresh_token")
	}
}
