package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// startFake runs a Climate-Engine-like auth server for the examples, with
// one user and one API client, on the clock now.
func startFake(now func() time.Time) (*httptest.Server, oauthtest.Client) {
	srv, err := oauthtest.New(oauthtest.Config{Key: fakeKey(), Now: now})
	if err != nil {
		log.Fatal(err)
	}
	u := srv.AddUser(testEmail, testPassword)
	c, err := srv.AddClient(oauthtest.Client{UserID: u.ID})
	if err != nil {
		log.Fatal(err)
	}
	return httptest.NewServer(srv), c
}

// The client_credentials grant with a client_secret_jwt assertion.
func ExampleNewClientCredentials() {
	ts, client := startFake(fixedNow)
	defer ts.Close()

	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Client: oauth.ClientAuth{
			Method: oauth.ClientSecretJWT,
			ID:     client.ClientID,
			Secret: client.ClientSecret,
		},
		Settings: oauth.Settings{Now: fixedNow}, // omit to use time.Now
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type(), tok.Expiry.Sub(epoch), tok.Extra("expires_at") != nil)
	// Output: Bearer 14m0s true
}

// A Refresher keeps a password-grant token alive: it logs in again before
// the token expires, in the background.
func ExampleNewRefresher() {
	ts, _ := startFake(time.Now)
	defer ts.Close()

	p, err := oauth.NewPassword(oauth.PasswordConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Username: testEmail,
		Password: secret.New(testPassword),
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := oauth.NewRefresher(context.Background(), p, tokenrefresh.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Valid(), r.Status().Healthy)
	// Output: true true
}

// A refused login is an *oauth.Error that tokenrefresh does not retry.
func ExampleError() {
	ts, _ := startFake(fixedNow)
	defer ts.Close()

	p, err := oauth.NewPassword(oauth.PasswordConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Username: testEmail,
		Password: secret.New("wrong"),
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = p.Token(context.Background())
	var oe *oauth.Error
	if errors.As(err, &oe) {
		fmt.Println(oe.StatusCode, oe.Code, oe.Permanent(), errors.Is(err, oauth.ErrInvalidGrant))
	}
	// Output: 400 LOGIN_BAD_CREDENTIALS true true
}

// The authorization code flow of a native app. Here the "browser" is an
// HTTP client that follows the server's redirect to the loopback listener;
// by default the flow opens the user's browser.
func ExampleAuthCode_Login() {
	ts, client := startFake(fixedNow)
	defer ts.Close()

	ac, err := oauth.NewAuthCode(oauth.AuthCodeConfig{
		AuthURL:  ts.URL + oauthtest.AuthorizePath,
		TokenURL: ts.URL + oauthtest.TokenPath,
		Client:   oauth.ClientAuth{Method: oauth.AuthNone, ID: client.ClientID},
		Timeout:  time.Minute,
		OpenBrowser: func(ctx context.Context, authURL string) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			return err
		},
		Settings: oauth.Settings{Now: fixedNow},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := ac.Login(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.AccessToken != "", tok.RefreshToken != "")
	// Output: true true
}
