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

// The client_credentials grant with a client_secret_jwt assertion. The
// test server of package oauthtest stands in for the authorization server.
func ExampleNewClientCredentials() {
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("robot@example.com", "pw").ID})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(auth)
	defer ts.Close()

	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Client: oauth.ClientAuth{
			Method: oauth.ClientSecretJWT,
			ID:     client.ClientID,
			Secret: client.ClientSecret, // a secret.String
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Type(), time.Until(tok.Expiry).Round(time.Minute))
	fmt.Println("assertions seen:", auth.Stats().AuthMethods[oauthtest.ClientSecretJWT])
	// Output:
	// Bearer 14m0s
	// assertions seen: 1
}

// A Refresher keeps a password-grant token alive: it logs in again before
// the token expires, in the background.
func ExampleNewRefresher() {
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	auth.AddUser("bennett@example.com", "hunter2")
	ts := httptest.NewServer(auth)
	defer ts.Close()

	p, err := oauth.NewPassword(oauth.PasswordConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Username: "bennett@example.com",
		Password: secret.New("hunter2"),
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

// A refresh token that the server rotates: each refresh returns a new one
// and kills the old, and the Refresher keeps (and stores) the newest. The
// test server hands out a refresh token as if a user had just signed in.
func ExampleNewRefreshToken() {
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("bennett@example.com", "pw").ID})
	if err != nil {
		log.Fatal(err)
	}
	first, err := auth.IssueRefreshToken(client.ClientID, "offline_access")
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(auth)
	defer ts.Close()

	src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{
		TokenURL:     ts.URL + oauthtest.TokenPath,
		Client:       oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: client.ClientID, Secret: client.ClientSecret},
		RefreshToken: secret.New(first),
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := oauth.NewRefresher(context.Background(), src, tokenrefresh.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	next, _ := auth.Successor(first)
	fmt.Println("holds the rotated refresh token:", tok.RefreshToken == next)
	fmt.Println("first still usable:", auth.Active(first))
	// Output:
	// holds the rotated refresh token: true
	// first still usable: false
}

// A refused login is an *oauth.Error that tokenrefresh does not retry.
func ExampleError() {
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	auth.AddUser("bennett@example.com", "hunter2")
	ts := httptest.NewServer(auth)
	defer ts.Close()

	p, err := oauth.NewPassword(oauth.PasswordConfig{
		TokenURL: ts.URL + oauthtest.TokenPath,
		Username: "bennett@example.com",
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
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("bennett@example.com", "pw").ID})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(auth)
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
