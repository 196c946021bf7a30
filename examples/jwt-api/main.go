// Command jwt-api shows package login keeping a JWT login API alive: the
// starwars API of seed 004, whose login answers with an access token and a
// refresh token, and whose errors are codes such as token-expired and
// authorisation-required. It needs no account and no network: it starts
// that API in this process (login/jwtapitest, which answers as the seed's
// server does), on loopback, with access tokens that live four seconds,
// and then:
//
//   - signs a user up, and verifies the email as the seed's verification
//     link would;
//   - logs in with login.NewTokenClient and calls a secured endpoint for
//     about eight seconds, across several expiries: the token is refreshed
//     in the background before it expires (the seed's refresh names the
//     access token it replaces, and fails once that token has expired, so
//     the refresh starts half the lifetime early), and no call fails;
//   - calls an endpoint for admins only, and gets a permission error that
//     is not retried and does not refresh the token;
//   - shows that a second login of the same user is refused, as the seed
//     allows one session per user until it logs out;
//   - logs out (Close), and shows that the last token no longer works.
//
// Run it with:
//
//	go run ./examples/jwt-api
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, defaultSettings()); err != nil {
		fmt.Fprintln(os.Stderr, "jwt-api:", err)
		os.Exit(1)
	}
}

// settings pace the demo; tests may shorten them.
type settings struct {
	accessTTL time.Duration // how long each access token lives
	calls     int           // how many calls to the secured endpoint
	every     time.Duration // the pause between calls
}

func defaultSettings() settings {
	return settings{accessTTL: 4 * time.Second, calls: 16, every: 500 * time.Millisecond}
}

// The demo's account.
const (
	email    = "luke@rebels.org"
	password = "Passw0rdLuke"
)

func run(ctx context.Context, w io.Writer, s settings) error {
	w = &syncWriter{w: w} // the Refresher reports from its own goroutine
	api, err := jwtapitest.New(jwtapitest.WithAccessTTL(s.accessTTL))
	if err != nil {
		return err
	}
	ts := httptest.NewServer(api)
	defer ts.Close()
	fmt.Fprintf(w, "Seed 004's API is at %s; access tokens live %v.\n", ts.URL, s.accessTTL)

	if err := signup(ctx, w, api, ts.URL); err != nil {
		return err
	}
	began := time.Now()
	cfg := config()
	cfg.Refresher.EarlyWindow = s.accessTTL / 2
	cfg.Refresher.OnRotate = func(old, tok *oauth2.Token) {
		what := "logged in"
		if old != nil {
			what = "token refreshed"
		}
		fmt.Fprintf(w, "  %5.1fs  %s; the access token expires in %.1fs\n",
			time.Since(began).Seconds(), what, time.Until(tok.Expiry).Seconds())
	}
	c, err := login.NewTokenClient(ctx, ts.URL, cfg)
	if err != nil {
		return err
	}
	defer c.Close()

	failed := callFilms(ctx, w, c, s, began)
	forbidden(ctx, w, c)
	if err := secondSession(ctx, w, ts.URL); err != nil {
		return err
	}
	last, err := c.Refresher().Token(ctx)
	if err != nil {
		return err
	}
	if err := c.Close(); err != nil {
		return err
	}
	fmt.Fprintln(w, "Logged out (Close).")
	if err := tryRevoked(ctx, w, ts.URL, last.AccessToken); err != nil {
		return err
	}
	st := api.Stats()
	fmt.Fprintf(w, "\nDone: %d calls, %d failed; %d login, %d refreshes, %d logout; the API saw %d expired tokens.\n",
		s.calls, failed, st.Logins, st.Refreshes, st.Logouts, st.TokenExpired)
	return nil
}

// config is the login of seed 004: JSON credentials with an email, a
// refresh that presents the refresh token and names the access token it
// replaces, and a logout.
func config() login.TokenConfig {
	return login.TokenConfig{
		Login:       login.Request{Path: jwtapitest.PathLogin, UsernameField: "email"},
		Credentials: login.Credentials{Username: email, Password: secret.New(password)},
		Refresh: login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathGenerateTokens,
			TokenQuery: map[string]login.TokenKind{"old_access_token": login.AccessToken}},
		Logout: login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathLogout},
	}
}

// signup creates the account with a plain request (it is the API's own
// business, not a login), and verifies its email as the seed's
// verification link would: until then the seed refuses its logins.
func signup(ctx context.Context, w io.Writer, api *jwtapitest.Server, baseURL string) error {
	c, err := bearer.NewClient(baseURL)
	if err != nil {
		return err
	}
	if err := c.Post(ctx, jwtapitest.PathSignup, map[string]string{"email": email, "password": password}, nil); err != nil {
		return err
	}
	if err := api.VerifyEmail(email); err != nil {
		return err
	}
	fmt.Fprintf(w, "Signed up %s, and verified the email.\n\n", email)
	return nil
}

// secondSession logs the same user in from a second client, which the
// seed refuses while the first session lasts.
func secondSession(ctx context.Context, w io.Writer, baseURL string) error {
	c, err := login.NewTokenClient(ctx, baseURL, config())
	if err != nil {
		return err
	}
	defer c.Close()
	err = c.Login(ctx)
	fmt.Fprintf(w, "A second login of %s, while the first session lasts:\n  %v\n  login.ErrAlreadyLoggedIn: %v\n\n",
		email, err, errors.Is(err, login.ErrAlreadyLoggedIn))
	if err == nil {
		return errors.New("the seed's server allowed a second session")
	}
	return nil
}

// callFilms calls the secured endpoint s.calls times, and returns how many
// calls failed.
func callFilms(ctx context.Context, w io.Writer, c *login.Client, s settings, began time.Time) int {
	fmt.Fprintf(w, "GET %s every %v:\n", jwtapitest.PathFilms, s.every)
	failed := 0
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for i := range s.calls {
		if i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				return failed + s.calls - i
			}
		}
		var films jwtapitest.FilmList
		if err := c.Get(ctx, jwtapitest.PathFilms, &films); err != nil {
			failed++
			fmt.Fprintf(w, "  %5.1fs  call %d failed: %v\n", time.Since(began).Seconds(), i+1, err)
			continue
		}
		fmt.Fprintf(w, "  %5.1fs  call %d: %d films, the first %q\n", time.Since(began).Seconds(), i+1, films.Count, films.Results[0].Title)
	}
	return failed
}

// forbidden calls the admins' endpoint as a basic user.
func forbidden(ctx context.Context, w io.Writer, c *login.Client) {
	err := c.Get(ctx, jwtapitest.PathUsers+"1", nil)
	var pe *login.PermissionError
	fmt.Fprintf(w, "\nGET %s1 as a basic user:\n  %v\n  a *login.PermissionError: %v; matches bearer.ErrForbidden: %v\n\n",
		jwtapitest.PathUsers, err, errors.As(err, &pe), errors.Is(err, bearer.ErrForbidden))
}

// tryRevoked calls the secured endpoint with the last access token.
func tryRevoked(ctx context.Context, w io.Writer, baseURL, token string) error {
	c, err := bearer.NewClient(baseURL, bearer.WithTokenSource(bearer.StaticToken(token)))
	if err != nil {
		return err
	}
	err = c.Get(ctx, jwtapitest.PathFilms, nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("the logged-out token was not refused: %v", err)
	}
	fmt.Fprintf(w, "The last access token after the logout: %d %s\n", ae.StatusCode, ae.Code)
	return nil
}

// syncWriter serializes writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
