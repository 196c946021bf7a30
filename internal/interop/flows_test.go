package interop_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

// TestMain fails the module if a goroutine outlives its test: logins,
// Refreshers and servers must all end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestClientCredentials(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name string
		auth oauth.ClientAuth
	}{
		{"client_secret_basic", oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}},
		{"client_secret_post", oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: postClient, Secret: secret.New(postSecret)}},
		{"private_key_jwt RS256", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: rsaClient, Key: secret.NewSigner(testkeys.RSA()), KeyID: rsaKeyID}},
		{"private_key_jwt ES256", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: ecClient, Key: secret.NewSigner(testkeys.ECP256())}},
		{"client_secret_jwt (test-side strategy)", oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: jwtClient, Secret: secret.New(jwtSecret)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: s.tokenURL(), Client: tt.auth, Scopes: []string{"read"}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // a second request proves each assertion has a fresh jti
				start := time.Now()
				tok, err := cc.Token(bounded(t))
				if err != nil {
					t.Fatalf("Token() #%d = %v", i, err)
				}
				if tok.AccessToken == "" || tok.Extra("scope") != "read" {
					t.Errorf("Token() = %+v; want an access token with scope read", tok)
				}
				if life := tok.Expiry.Sub(start); life < 59*time.Minute || life > time.Hour+time.Second {
					t.Errorf("token lives %v; want fosite's hour", life)
				}
			}
		})
	}
}

func TestClientCredentialsRefused(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name string
		auth oauth.ClientAuth
	}{
		{"wrong basic secret", oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New("wrong")}},
		{"basic client using post", oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: basicClient, Secret: secret.New(basicSecret)}},
		{"wrong key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: rsaClient, Key: secret.NewSigner(testkeys.ECP256())}},
		{"wrong HS256 secret", oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: jwtClient, Secret: secret.New("wrong-secret")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: s.tokenURL(), Client: tt.auth})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cc.Token(bounded(t))
			var oe *oauth.Error
			if !errors.As(err, &oe) || !oe.Permanent() || oe.StatusCode < 400 || oe.StatusCode > 499 {
				t.Errorf("Token() = %v; want a permanent 4xx *oauth.Error", err)
			}
		})
	}
}

// passwordLogin logs peter in with the basic client, asking for a refresh
// token (scope offline).
func passwordLogin(t *testing.T, s *server, pw string) (*oauth.Password, *oauth2.Token, error) {
	t.Helper()
	p, err := oauth.NewPassword(oauth.PasswordConfig{
		TokenURL: s.tokenURL(), Username: username, Password: secret.New(pw), Scopes: []string{"read", "offline"},
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)},
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.Token(bounded(t))
	return p, tok, err
}

func TestPassword(t *testing.T) {
	s := newServer(t)
	_, tok, err := passwordLogin(t, s, password)
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("Token() = %+v, %v; want a token with a refresh token", tok, err)
	}
	_, _, err = passwordLogin(t, s, "wrong")
	if !errors.Is(err, oauth.ErrInvalidGrant) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Token() with a wrong password = %v; want permanent invalid_grant", err)
	}
}

func TestRefreshRotationAndReuseDetection(t *testing.T) {
	s := newServer(t)
	p, first, err := passwordLogin(t, s, password)
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Refresh(bounded(t), first)
	if err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("fosite did not rotate the refresh token")
	}
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: s.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	// Reusing the rotated-out token: fosite refuses it and revokes the chain.
	_, err = rt.Refresh(bounded(t), first)
	var oe *oauth.Error
	if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrInvalidGrant) || !tokenrefresh.IsPermanent(err) {
		t.Fatalf("Refresh() with a reused refresh token = %v; want a permanent invalid_grant", err)
	}
	if _, err := rt.Refresh(bounded(t), second); !tokenrefresh.IsPermanent(err) {
		t.Errorf("Refresh() with the newest token after reuse = %v; want it revoked too (permanent)", err)
	}
}

func TestRefresherPersistsRotation(t *testing.T) {
	s := newServer(t)
	_, first, err := passwordLogin(t, s, password)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: s.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(time.Now())
	store := &tokenrefresh.MemoryStore{}
	rotated := make(chan *oauth2.Token, 4)
	r, err := oauth.NewRefresher(context.Background(), rt, tokenrefresh.Config{Initial: secret.New(first), Store: store, Clock: clk, Jitter: -1,
		OnRotate: func(_, n *oauth2.Token) { rotated <- n }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
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
	e, err := store.Load(bounded(t))
	if err != nil || e.Token.Reveal().RefreshToken != next.RefreshToken || next.RefreshToken == first.RefreshToken {
		t.Errorf("store holds %v, %v; want the rotated refresh token", e, err)
	}
}

// authCode builds the native app's login against s.
func authCode(t *testing.T, s *server, scopes ...string) *oauth.AuthCode {
	t.Helper()
	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{
		AuthURL: s.authURL(), TokenURL: s.tokenURL(), Scopes: scopes,
		Client:      oauth.ClientAuth{Method: oauth.AuthNone, ID: nativeClient},
		OpenBrowser: followRedirects, Timeout: waitLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	return ac
}

func TestAuthorizationCodeWithPKCE(t *testing.T) {
	s := newServer(t)
	ac := authCode(t, s, "read", "offline")
	tok, err := ac.Login(bounded(t))
	if err != nil {
		t.Fatalf("Login() = %v", err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Fatalf("Login() = %+v; want access and refresh tokens", tok)
	}
	next, err := ac.Refresh(bounded(t), tok)
	if err != nil || next.RefreshToken == tok.RefreshToken {
		t.Errorf("Refresh() = %+v, %v; want a rotated refresh token", next, err)
	}
}

func TestAuthorizationErrorIsReturned(t *testing.T) {
	s := newServer(t)
	_, err := authCode(t, s, "admin").Login(bounded(t)) // a scope the client may not ask for
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_scope" || oe.StatusCode != 0 {
		t.Errorf("Login() with a forbidden scope = %v; want the redirect's error=invalid_scope", err)
	}
}

func TestRevocation(t *testing.T) {
	s := newServer(t)
	p, tok, err := passwordLogin(t, s, password)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: s.revokeURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Revoke(bounded(t), tok.RefreshToken, oauth.HintRefreshToken); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	if _, err := p.Refresh(bounded(t), &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}); err != nil {
		// Password.Refresh logs in again after invalid_grant: it succeeds.
		t.Fatalf("Password.Refresh() after revocation = %v; want a new login", err)
	}
	rt, _ := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: s.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}})
	if _, err := rt.Refresh(bounded(t), tok); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("Refresh() with a revoked refresh token = %v; want invalid_grant", err)
	}
	// Revoking with a private_key_jwt assertion: its audience is the token endpoint.
	keyRev, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: s.revokeURL(), TokenURL: s.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: rsaClient, Key: secret.NewSigner(testkeys.RSA()), KeyID: rsaKeyID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := keyRev.Revoke(bounded(t), "unknown-token", oauth.HintAccessToken); err != nil {
		t.Errorf("Revoke() of an unknown token with private_key_jwt = %v; want success (RFC 7009 2.2)", err)
	}
}
