package login_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

// A cookie-session API over TLS with its own certificate, as seed 002's
// Flask server: the client trusts that certificate, logs in on its first
// request, and logs in again when the server has forgotten the session,
// which that server says with a 403 (here after a restart). A wrong
// password is refused once, with the server's reason, and is not a
// permission error.
func ExampleNewSessionClient() {
	srv, err := sessiontest.New()
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		log.Fatal(err)
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()

	connect := func(password string) *login.Client {
		c, err := login.NewSessionClient(ts.URL, login.SessionConfig{
			Login:           login.Request{Path: "/login"}, // form fields username and password
			Credentials:     login.Credentials{Username: "Alice", Password: secret.New(password)},
			ReloginStatuses: []int{http.StatusUnauthorized, http.StatusForbidden},
		}, login.WithBearerOptions(bearer.WithTrustedPEM(certPEM)))
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	var info struct {
		N int `json:"Secret-number"`
	}
	c := connect("alice_pw")
	defer c.Close()
	if err := c.Get(ctx, "/get-info", &info); err != nil {
		log.Fatal(err)
	}
	fmt.Println("secret number:", info.N)
	srv.Restart()
	if err := c.Get(ctx, "/get-info", &info); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after the restart:", info.N, "logins:", srv.Stats().Logins)

	wrong := connect("wrong_pw")
	defer wrong.Close()
	err = wrong.Get(ctx, "/get-info", &info)
	var le *login.Error
	if errors.As(err, &le) {
		fmt.Println("refused:", le.Response.StatusCode, le.Response.Message, "-", le.Realm())
	}
	fmt.Println(errors.Is(err, login.ErrCredentialsRefused), errors.Is(err, bearer.ErrForbidden))
	// Output:
	// secret number: 42
	// after the restart: 42 logins: 2
	// refused: 403 Verification failed - Password incorrect
	// true false
}

// A JWT login API, as seed 004's: the client logs in, replaces an access
// token the server revoked (by a refresh, which names the old token as
// the server wants), reports a missing role as a permission error, and
// logs out on Close. The server allows one session per user until it
// logs out: a second client is refused with ErrAlreadyLoggedIn.
func ExampleNewTokenClient() {
	api, err := jwtapitest.New()
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
		Refresh: login.TokenRequest{Method: http.MethodGet, Path: "/users/v1/generate_tokens",
			TokenQuery: map[string]login.TokenKind{"old_access_token": login.AccessToken}},
		Logout: login.TokenRequest{Method: http.MethodGet, Path: "/users/v1/logout"},
	}
	c, err := login.NewTokenClient(ctx, ts.URL, cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		log.Fatal(err)
	}

	tok, err := c.Refresher().Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	api.Revoke(tok.AccessToken) // as a logout elsewhere would
	var films jwtapitest.FilmList
	if err := c.Get(ctx, "/films/v1/", &films); err != nil {
		log.Fatal(err)
	}
	fmt.Println("films:", films.Count, "refreshes:", api.Stats().Refreshes)

	err = c.Get(ctx, "/users/v1/1", nil)
	var pe *login.PermissionError
	fmt.Println("forbidden:", errors.Is(err, bearer.ErrForbidden), errors.As(err, &pe) && pe.Response.Code == "authorisation-required")

	second, err := login.NewTokenClient(ctx, ts.URL, cfg)
	if err != nil {
		log.Fatal(err)
	}
	err = second.Login(ctx)
	fmt.Println("a second session:", errors.Is(err, login.ErrAlreadyLoggedIn), errors.Is(err, login.ErrCredentialsRefused))
	second.Close()

	if err := c.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("logouts:", api.Stats().Logouts)
	// Output:
	// films: 6 refreshes: 1
	// forbidden: true true
	// a second session: true false
	// logouts: 1
}
