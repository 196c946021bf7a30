package login_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

// A cookie-session API over TLS with its own certificate: the client
// trusts that certificate, logs in on its first request, and logs in again
// when the server forgets its sessions.
func ExampleNewSessionClient() {
	srv, err := sessiontest.New()
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		log.Fatal(err)
	}
	certPEM, _, cert, err := sessiontest.SelfSignedCert()
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	defer ts.Close()

	c, err := login.NewSessionClient(ts.URL, login.SessionConfig{
		Login:       login.Request{Path: "/login"},
		Credentials: login.Credentials{Username: "Alice", Password: secret.New("alice_pw")},
	}, login.WithBearerOptions(bearer.WithTrustedPEM(certPEM)))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx := context.Background()
	var info struct {
		N int `json:"Secret-number"`
	}
	if err := c.Get(ctx, "/get-info", &info); err != nil {
		log.Fatal(err)
	}
	fmt.Println("secret number:", info.N)
	srv.ResetSessions()
	if err := c.Get(ctx, "/get-info", &info); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after the reset:", info.N)
	fmt.Println("logins:", srv.Stats().Logins)
	// Output:
	// secret number: 42
	// after the reset: 42
	// logins: 2
}

// A JWT login API: the client logs in, refreshes the access token as it
// expires, reports a missing role as a permission error, and logs out on
// Close. The fake clock stands in for hours of use.
func ExampleNewTokenClient() {
	clock := fakeclock.New(time.Date(2024, 5, 4, 12, 0, 0, 0, time.UTC))
	api, err := jwtapitest.New(jwtapitest.WithClock(clock.Now), jwtapitest.WithAccessTTL(10*time.Minute))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := api.AddUser("luke@rebels.org", "Passw0rdLuke", jwtapitest.RoleBasic); err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(api)
	defer ts.Close()

	ctx := context.Background()
	cfg := login.TokenConfig{
		Login:       login.Request{Path: "/users/v1/login", UsernameField: "email"},
		Credentials: login.Credentials{Username: "luke@rebels.org", Password: secret.New("Passw0rdLuke")},
		Refresh:     login.TokenRequest{Method: http.MethodGet, Path: "/users/v1/generate_tokens"},
		Logout:      login.TokenRequest{Method: http.MethodGet, Path: "/users/v1/logout"},
	}
	cfg.Refresher.Clock = clock
	c, err := login.NewTokenClient(ctx, ts.URL, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		log.Fatal(err)
	}

	var films jwtapitest.FilmList
	for range 3 {
		clock.Advance(11 * time.Minute) // past the access token's expiry
		if err := c.Get(ctx, "/films/v1/", &films); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println("films:", films.Count, "refreshes:", api.Stats().Refreshes)

	err = c.Get(ctx, "/users/v1/1", nil)
	var pe *login.PermissionError
	fmt.Println("forbidden:", errors.Is(err, bearer.ErrForbidden), errors.As(err, &pe) && pe.Response.Code == "authorisation-required")

	if err := c.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logouts:", api.Stats().Logouts)
	// Output:
	// films: 6 refreshes: 3
	// forbidden: true true
	// logouts: 1
}
