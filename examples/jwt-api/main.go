// Command jwt-api shows package login keeping a JWT login API alive: the
// starwars API of seed 004, whose login answers with an access token and a
// refresh token, and whose errors are codes such as token-expired and
// authorisation-required. It needs no account and no network: it starts
// that API in this process, on loopback, with access tokens that live
// three seconds, and then:
//
//   - signs a user up;
//   - logs in with login.NewTokenClient and calls a secured endpoint for
//     about eight seconds, across several expiries: the token is refreshed
//     in the background before it expires, and no call fails;
//   - calls an endpoint for admins only, and gets a permission error that
//     is not retried and does not refresh the token;
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
	return settings{accessTTL: 3 * time.Second, calls: 16, every: 500 * time.Millisecond}
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

	if err := signup(ctx, w, ts.URL); err != nil {
		return err
	}
	began := time.Now()
	cfg := login.TokenConfig{
		Login:       login.Request{Path: jwtapitest.PathLogin, UsernameField: "email"},
		Credentials: login.Credentials{Username: email, Password: secret.New(password)},
		Refresh:     login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathGenerateTokens},
		Logout:      login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathLogout},
	}
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

// signup creates the account with a plain request: it is the API's own
// business, not a login.
func signup(ctx context.Context, w io.Writer, baseURL string) error {
	c, err := bearer.NewClient(baseURL)
	if err != nil {
		return err
	}
	var out jwtapitest.LoginResponse
	if err := c.Post(ctx, jwtapitest.PathSignup, map[string]string{"email": email, "password": password}, &out); err != nil {
		return err
	}
	fmt.Fprintf(w, "Signed up %s as user %d.\n\n", out.Email, out.UserID)
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
