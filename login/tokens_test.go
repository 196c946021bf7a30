package login_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

func TestTokenLogsInAndCalls(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	for range 3 {
		if err := films(t, c); err != nil {
			t.Fatalf("GET films: %v", err)
		}
	}
	tok, err := c.Refresher().Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(10 * time.Minute); !tok.Expiry.Equal(want) {
		t.Errorf("token expiry = %v; want %v, from the JWT's exp", tok.Expiry, want)
	}
	if id, _ := tok.Extra("user_id").(float64); id != 1 {
		t.Errorf("token Extra(user_id) = %v; want 1 from the login answer", tok.Extra("user_id"))
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 0 {
		t.Errorf("Stats() = %+v; want 1 login, no refresh", got)
	}
}

// TestTokenRefreshedBeforeExpiry checks that the token is refreshed in the
// background inside its early window, so the server never sees it expire.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	for i := range 4 {
		tok, err := c.Refresher().Token(testContext(t))
		if err != nil {
			t.Fatal(err)
		}
		// A 10-minute token is refreshed 2.5 minutes before it expires.
		f.clk.Advance(tok.Expiry.Sub(f.clk.Now()) - 2*time.Minute)
		f.awaitRefreshAfter(t, tok.Expiry)
		if err := films(t, c); err != nil {
			t.Fatalf("round %d: GET films: %v", i, err)
		}
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 4 || got.TokenExpired != 0 {
		t.Errorf("Stats() = %+v; want 1 login, 4 refreshes, no expired token seen", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "token refreshed") {
		t.Errorf("logs do not show the refreshes:\n%s", logs)
	}
}

// TestTokenExpiredOnTheSeedsServer: seed 004's refresh must name the old
// access token, and its code fails (a 500) when that token has expired:
// the server's clock runs ahead here, so it calls a token expired that
// the client thinks fresh. The client refreshes, reports the 500 with
// the server's words, and keeps trying; it never logs in again in a
// storm. (Its own schedule refreshes in the early window, before expiry:
// TestTokenRefreshedBeforeExpiry.)
func TestTokenExpiredOnTheSeedsServer(t *testing.T) {
	f := setupJWT(t, jwtOptions{apartClocks: true})
	cfg := seed004(lukeEmail, lukePW)
	cfg.Logout = login.TokenRequest{} // Close would wait DefaultLogoutTimeout for a token to log out with
	c := f.client(t, cfg)
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	f.srvClk.Advance(11 * time.Minute)
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- c.Get(ctx, jwtapitest.PathFilms, nil) }()
	now := f.clk.Now()
	if _, err := f.clk.AwaitTimer(testContext(t), func(d time.Time) bool { return d.After(now) && d.Before(now.Add(time.Minute)) }); err != nil {
		t.Fatalf("no retry planned after the failed refresh: %v", err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("GET films = nil; want an error: the seed's server cannot refresh an expired token")
	}
	st := c.Refresher().Status()
	if !strings.Contains(st.LastError, "500 Internal Server Error") || !strings.Contains(st.LastError, "the refresh is tried again later") {
		t.Errorf("Status().LastError = %q; want the server's 500 and that it is tried again", st.LastError)
	}
	if got := f.api.Stats(); got.Crashes != 1 || got.TokenExpired != 1 || got.Logins != 1 {
		t.Errorf("Stats() = %+v; want 1 token-expired, 1 failed refresh, no new login", got)
	}
}

// TestTokenExpiredCode checks a RefreshCode: token-expired makes the
// client refresh, once for all the callers that saw it, and send each
// request once more.
func TestTokenExpiredCode(t *testing.T) {
	s, f := setupShapes(t)
	c := f.client(t, shapeConfig(login.JSON))
	if err := c.Get(testContext(t), "data", nil); err != nil {
		t.Fatal(err)
	}
	s.expire.Store(true)
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() { errs <- c.Get(testContext(t), "data", nil) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GET data after token-expired: %v; want success after a refresh", err)
		}
	}
	if n := s.refresh.Load(); n != 1 {
		t.Errorf("%d refreshes; want exactly 1 for all %d callers", n, workers)
	}
}

// TestTokenInvalidCodeRefreshes: seed 004's token-invalid (here, an access
// token the server revoked) is a 401 like any other: the client
// refreshes, which that server grants for a revoked access token, and
// does not log in again (which it would refuse: the user is logged in).
func TestTokenInvalidCodeRefreshes(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.Revoke(currentToken(t, c))
	if err := films(t, c); err != nil {
		t.Fatalf("GET films with a revoked token: %v; want success after a refresh", err)
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 1 || got.TokenInvalid != 1 {
		t.Errorf("Stats() = %+v; want 1 login, 1 refresh, 1 token-invalid", got)
	}
}

// TestTokenReloginCodes: a code configured as a ReloginCode makes the
// client log in again without trying a refresh.
func TestTokenReloginCodes(t *testing.T) {
	s, f := setupShapes(t)
	cfg := shapeConfig(login.JSON)
	cfg.ReloginCodes = []string{"invalid_token"}
	c := f.client(t, cfg)
	s.bump() // the server drops the token: invalid_token
	if err := c.Get(testContext(t), "data", nil); err != nil {
		t.Fatalf("GET data: %v; want success after a new login", err)
	}
	if n, r := s.logins.Load(), s.refresh.Load(); n != 2 || r != 0 {
		t.Errorf("%d logins, %d refreshes; want 2 and none", n, r)
	}
}

// loginTokens logs email in with a plain request, as a program that
// hands its tokens to the client would, and returns them.
func loginTokens(t *testing.T, f *jwtFixture, email string) *oauth2.Token {
	t.Helper()
	if _, err := f.api.AddUser(email, lukePW, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, lukePW)
	resp, err := f.ts.Client().Post(f.ts.URL+jwtapitest.PathLogin, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lr jwtapitest.LoginResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login = %d, %v", resp.StatusCode, err)
	}
	return &oauth2.Token{AccessToken: lr.Token.Reveal(), RefreshToken: lr.RefreshToken.Reveal()} // the expiry comes from the JWT
}

// withoutCredentials is seed004 started from tokens, with no credentials.
func withoutCredentials(initial *oauth2.Token) login.TokenConfig {
	cfg := seed004("", "")
	cfg.Login = login.Request{}
	cfg.Refresher.Initial = secret.New(initial)
	return cfg
}

// TestTokenInvalidWithoutCredentials: both tokens revoked, and no
// credentials to log in again: ErrLoginRequired, at once on later calls.
func TestTokenInvalidWithoutCredentials(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	initial := loginTokens(t, f, "leia@rebels.org")
	c := f.client(t, withoutCredentials(initial))
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Refresher().Status().Expiry, start.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("the sign-up token's expiry = %v; want %v, from its JWT", got, want)
	}
	f.api.Revoke(initial.AccessToken)
	f.api.Revoke(initial.RefreshToken)
	for range 3 {
		err := films(t, c)
		if !errors.Is(err, login.ErrLoginRequired) {
			t.Fatalf("GET films with revoked tokens and no credentials = %v; want ErrLoginRequired", err)
		}
		if !strings.Contains(err.Error(), "no credentials are held") {
			t.Errorf("error %q; want it to say no credentials are held", err)
		}
	}
	if got := f.api.Stats(); got.TokenInvalid != 2 || got.Logins != 1 {
		t.Errorf("Stats() = %+v; want 2 token-invalid (the call, the refresh; later calls fail at once) and only the first login", got)
	}
}

func TestTokenPermission(t *testing.T) {
	forbidden := func(api http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/admin/reports" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"message":"admins only"}`)
				return
			}
			api.ServeHTTP(w, r)
		})
	}
	f := setupJWT(t, jwtOptions{wrap: forbidden})
	c := f.client(t, seed004(lukeEmail, lukePW))
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"authorisation-required", jwtapitest.PathUsers + "1", http.StatusUnauthorized, "authorisation-required"},
		{"403", "/admin/reports", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Get(testContext(t), tt.path, nil)
			var pe *login.PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("GET %s = %v; want a *PermissionError", tt.path, err)
			}
			if pe.Response.StatusCode != tt.status || pe.Response.Code != tt.code {
				t.Errorf("Response = %d %q; want %d %q", pe.Response.StatusCode, pe.Response.Code, tt.status, tt.code)
			}
			if !errors.Is(err, bearer.ErrForbidden) || errors.Is(err, bearer.ErrUnauthorized) {
				t.Errorf("errors.Is(ErrForbidden, ErrUnauthorized) = %v, %v; want true, false",
					errors.Is(err, bearer.ErrForbidden), errors.Is(err, bearer.ErrUnauthorized))
			}
			if !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), "a new token will not help") {
				t.Errorf("error %q; want it to say permission denied and what to do", err)
			}
		})
	}
	if got := f.api.Stats(); got.AuthorisationRequired != 1 || got.Logins != 1 || got.Refreshes != 0 {
		t.Errorf("Stats() = %+v; want 1 authorisation-required (never retried), 1 login, no refresh", got)
	}
}

func TestTokenBadCredentials(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.clientNoLogin(t, seed004(lukeEmail, "Wr0ngPassword"))
	for range 3 {
		err := c.Login(testContext(t))
		if !errors.Is(err, login.ErrCredentialsRefused) {
			t.Fatalf("Login = %v; want ErrCredentialsRefused", err)
		}
		if !strings.Contains(err.Error(), "check the username and password") || !strings.Contains(err.Error(), "404") {
			t.Errorf("error %q; want the server's answer and what to check", err)
		}
		if err := films(t, c); !errors.Is(err, login.ErrCredentialsRefused) {
			t.Errorf("GET films = %v; want ErrCredentialsRefused", err)
		}
	}
	f.clk.Advance(24 * time.Hour)
	if err := films(t, c); !errors.Is(err, login.ErrCredentialsRefused) {
		t.Errorf("GET films a day later = %v; want ErrCredentialsRefused", err)
	}
	if got := f.api.Stats(); got.LoginsFailed != 1 || got.Logins != 0 {
		t.Errorf("Stats() = %+v; want exactly 1 failed login and no retry", got)
	}
	if st := c.Refresher().Status(); !st.Permanent {
		t.Errorf("Refresher().Status() = %+v; want a permanent failure", st)
	}
}

// TestTokenRefreshTokenExpired checks a refresh token that has itself
// expired (the program was stopped for longer than its lifetime): the
// client logs in again with the credentials, which seed 004's server
// refuses because the user never logged out, an error of its own; or
// fails with ErrLoginRequired without credentials.
func TestTokenRefreshTokenExpired(t *testing.T) {
	t.Run("with credentials", func(t *testing.T) {
		f := setupJWT(t, jwtOptions{refreshTTL: 30 * time.Minute})
		c := f.client(t, seed004(lukeEmail, lukePW))
		if err := films(t, c); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(2 * time.Hour) // both tokens expire before any refresh
		err := films(t, c)
		if !errors.Is(err, login.ErrAlreadyLoggedIn) || errors.Is(err, login.ErrCredentialsRefused) {
			t.Fatalf("GET films after the refresh token expired: %v; want ErrAlreadyLoggedIn, not ErrCredentialsRefused", err)
		}
		for _, want := range []string{"user-already-logged-in", "log that session out", "TokenConfig.Refresher.Store"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "check the username") {
			t.Errorf("error %q blames the credentials", err)
		}
		if got := f.api.Stats(); got.Logins != 1 || got.AlreadyLoggedIn != 1 || got.Refreshes != 0 || got.TokenExpired != 1 {
			t.Errorf("Stats() = %+v; want the refresh refused as token-expired, then one login refused as already logged in", got)
		}
		if logs := f.logs.String(); !strings.Contains(logs, "logging in again") {
			t.Errorf("logs do not say the client logged in again:\n%s", logs)
		}
		f.clk.Advance(24 * time.Hour)
		if err := films(t, c); !errors.Is(err, login.ErrAlreadyLoggedIn) {
			t.Errorf("GET films a day later = %v; want ErrAlreadyLoggedIn, not sent again", err)
		}
		if got := f.api.Stats().AlreadyLoggedIn; got != 1 {
			t.Errorf("logins refused as already logged in = %d; want 1: the login is not sent again", got)
		}
	})
	t.Run("without credentials", func(t *testing.T) {
		f := setupJWT(t, jwtOptions{refreshTTL: 30 * time.Minute})
		c := f.client(t, withoutCredentials(loginTokens(t, f, "han@rebels.org")))
		f.clk.Advance(2 * time.Hour)
		for range 2 {
			err := films(t, c)
			if !errors.Is(err, login.ErrLoginRequired) || !strings.Contains(err.Error(), "refresh token has expired or was revoked") {
				t.Fatalf("GET films = %v; want ErrLoginRequired saying the refresh token expired", err)
			}
		}
		if got := f.api.Stats(); got.Logins != 1 || got.TokenExpired != 1 {
			t.Errorf("Stats() = %+v; want only the first login and one refused refresh", got)
		}
	})
}

// TestTokenAlreadyLoggedIn: seed 004 allows one session per user. A
// second client's login is refused with user-already-logged-in: its own
// error, sent once, that does not blame the credentials.
func TestTokenAlreadyLoggedIn(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	f.client(t, seed004(lukeEmail, lukePW))
	second := f.clientNoLogin(t, seed004(lukeEmail, lukePW))
	for range 3 {
		err := second.Login(testContext(t))
		var le *login.Error
		if !errors.Is(err, login.ErrAlreadyLoggedIn) || !errors.As(err, &le) || le.Response.Code != "user-already-logged-in" {
			t.Fatalf("Login of a second client = %v; want ErrAlreadyLoggedIn with the server's answer", err)
		}
		if errors.Is(err, login.ErrCredentialsRefused) || strings.Contains(err.Error(), "check the username") {
			t.Errorf("error %q; want it not to blame the credentials", err)
		}
	}
	if got := f.api.Stats(); got.AlreadyLoggedIn != 1 || got.Logins != 1 {
		t.Errorf("Stats() = %+v; want the second login refused once, not sent again", got)
	}
	if st := second.Refresher().Status(); !st.Permanent {
		t.Errorf("Refresher().Status() = %+v; want a permanent failure", st)
	}
}

func TestTokenNoRefreshEndpointLogsInAgain(t *testing.T) {
	s, f := setupShapes(t)
	cfg := shapeConfig(login.JSON)
	cfg.Refresh = login.TokenRequest{}
	c := f.client(t, cfg)
	f.clk.Advance(11 * time.Minute)
	if err := c.Get(testContext(t), "data", nil); err != nil {
		t.Fatal(err)
	}
	if n, r := s.logins.Load(), s.refresh.Load(); n != 2 || r != 0 {
		t.Errorf("%d logins, %d refreshes; want 2 and none", n, r)
	}
}

func TestTokenCloseLogsOut(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	old := currentToken(t, c)
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if got := f.api.Stats().Logouts; got != 1 {
		t.Errorf("logouts = %d; want 1", got)
	}
	if err := films(t, c); !errors.Is(err, login.ErrClosed) {
		t.Errorf("GET films after Close = %v; want ErrClosed", err)
	}
	raw, err := bearer.NewClient(f.ts.URL, bearer.WithTokenSource(bearer.StaticToken(old)))
	if err != nil {
		t.Fatal(err)
	}
	var ae *bearer.APIError
	if err := raw.Get(testContext(t), jwtapitest.PathFilms, nil); !errors.As(err, &ae) || ae.Code != "token-invalid" {
		t.Errorf("GET films with the logged-out token = %v; want 401 token-invalid", err)
	}
}

func TestTokenCloseWithoutLogout(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	cfg := seed004(lukeEmail, lukePW)
	cfg.Logout = login.TokenRequest{}
	c := f.client(t, cfg)
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if got := f.api.Stats().Logouts; got != 0 {
		t.Errorf("logouts = %d; want 0 without Logout", got)
	}
}

// tokenServer is a login API of another shape: tokens under "data", an
// expires_in, and a refresh that takes the refresh token in a body field.
type tokenServer struct {
	mu       sync.Mutex // guards gen, got, expired
	gen      int
	got      []string // what each refresh request carried: its query, headers and body
	expired  bool     // the current token is answered token-expired
	logins   atomic.Int64
	refresh  atomic.Int64
	failNext atomic.Int64 // answer the next refreshes 503
	expire   atomic.Bool  // expire the current token at its next use
	logouts  atomic.Int64
}

// bump makes a new generation, so the current token is answered
// invalid_token.
func (s *tokenServer) bump() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/auth/login":
		s.logins.Add(1)
		s.expired = false
		s.gen++
		fmt.Fprintf(w, `{"data":{"jwt":"access-%d","refresh":"refresh-%d"},"expires_in":"600","user":{"id":7}}`, s.gen, s.gen)
	case "/auth/refresh":
		s.refresh.Add(1)
		s.got = append(s.got, strings.TrimSpace(r.URL.RawQuery+" "+r.Header.Get("X-Api-Version")+" "+r.Header.Get("Content-Type")+" "+string(body)))
		if s.failNext.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.expired = false
		s.gen++
		fmt.Fprintf(w, `{"data":{"jwt":"access-%d"},"expires_in":300}`, s.gen)
	case "/auth/logout":
		s.logouts.Add(1)
		fmt.Fprint(w, `{}`)
	case "/data":
		if s.expire.Swap(false) {
			s.expired = true
		}
		if s.expired {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"token-expired","status":"error"}`)
			return
		}
		if r.Header.Get("Authorization") != fmt.Sprintf("Bearer access-%d", s.gen) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_token"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	default:
		http.NotFound(w, r)
	}
}

// setupShapes starts a tokenServer, with a fixture whose clock the
// client will use.
func setupShapes(t *testing.T) (*tokenServer, *jwtFixture) {
	t.Helper()
	s := &tokenServer{}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, &jwtFixture{clk: newClock(), logs: &syncbuf.Buffer{}, ts: ts}
}

// shapeConfig is the login of tokenServer, with its refresh token sent in
// a body field encoded so.
func shapeConfig(enc login.Encoding) login.TokenConfig {
	return login.TokenConfig{
		Login:              login.Request{Path: "auth/login"},
		Credentials:        login.Credentials{Username: alice, Password: secret.New(alicePW)},
		Refresh:            login.TokenRequest{Path: "auth/refresh", Encoding: enc, Field: "refresh"},
		AccessTokenFields:  []string{"data.jwt"},
		RefreshTokenFields: []string{"data.refresh"},
	}
}

func TestTokenOtherAPIShapes(t *testing.T) {
	for _, enc := range []login.Encoding{login.JSON, login.Form} {
		t.Run(string(enc), func(t *testing.T) {
			s, f := setupShapes(t)
			c := f.client(t, shapeConfig(enc))
			tok, err := c.Refresher().Token(testContext(t))
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "access-1" || tok.RefreshToken != "refresh-1" || !tok.Expiry.Equal(start.Add(10*time.Minute)) {
				t.Errorf("token = %q %q %v; want access-1, refresh-1, expiring in expires_in", tok.AccessToken, tok.RefreshToken, tok.Expiry)
			}
			f.clk.Advance(11 * time.Minute)
			if err := c.Get(testContext(t), "data", nil); err != nil {
				t.Fatalf("GET data after expiry: %v", err)
			}
			tok, _ = c.Refresher().Token(testContext(t))
			if tok.RefreshToken != "refresh-1" {
				t.Errorf("refresh token after a refresh without one = %q; want refresh-1 kept", tok.RefreshToken)
			}
			want := map[login.Encoding]string{
				login.JSON: `application/json {"refresh":"refresh-1"}`,
				login.Form: `application/x-www-form-urlencoded refresh=refresh-1`,
			}[enc]
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.got) != 1 || s.got[0] != want {
				t.Errorf("refresh requests = %q; want [%q]", s.got, want)
			}
		})
	}
}

// TestTokenRequestParameters: a refresh carries its extra query
// parameters, token query parameters, headers and fields.
func TestTokenRequestParameters(t *testing.T) {
	s, f := setupShapes(t)
	cfg := shapeConfig(login.Form)
	cfg.Refresh.Query = map[string]string{"v": "2"}
	cfg.Refresh.TokenQuery = map[string]login.TokenKind{"old": login.AccessToken}
	cfg.Refresh.Header = map[string]string{"X-Api-Version": "2024-05"}
	cfg.Refresh.Fields = map[string]string{"client_id": "films-app"}
	c := f.client(t, cfg)
	f.clk.Advance(11 * time.Minute)
	if err := c.Get(testContext(t), "data", nil); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := "old=access-1&v=2 2024-05 application/x-www-form-urlencoded client_id=films-app&refresh=refresh-1"
	if len(s.got) != 1 || s.got[0] != want {
		t.Errorf("refresh requests = %q; want [%q]", s.got, want)
	}
}

func TestTokenRefreshFailureIsRetried(t *testing.T) {
	s, f := setupShapes(t)
	s.failNext.Store(1)
	cfg := shapeConfig(login.JSON)
	cfg.Refresher.RetryMin = time.Second
	c := f.client(t, cfg)
	tok, err := c.Refresher().Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(tok.Expiry.Sub(f.clk.Now()) - time.Minute) // inside the early window
	f.awaitRefreshAfter(t, f.clk.Now())                      // the retry after the 503
	if st := c.Refresher().Status(); st.ConsecutiveFailures != 1 || !strings.Contains(st.LastError, "503") {
		t.Errorf("Status() = %+v; want one failure with the 503", st)
	}
	f.clk.Advance(2 * time.Second)
	f.awaitRefreshAfter(t, tok.Expiry)
	if n := s.refresh.Load(); n != 2 {
		t.Errorf("refresh requests = %d; want 2 (a 503, then success)", n)
	}
}

func TestTokenStoreResumes(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	store := &tokenrefresh.MemoryStore{}
	cfg := seed004(lukeEmail, lukePW)
	cfg.Logout = login.TokenRequest{} // keep the tokens alive for the next client
	cfg.Refresher.Store = store
	c := f.client(t, cfg)
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	c.Close()
	cfg.Credentials, cfg.Login = login.Credentials{}, login.Request{}
	c2 := f.client(t, cfg)
	if err := films(t, c2); err != nil {
		t.Errorf("GET films from the stored token, without credentials: %v", err)
	}
	if got := f.api.Stats().Logins; got != 1 {
		t.Errorf("logins = %d; want 1: the second client resumed from the store", got)
	}
}

func newClock() *fakeclock.Clock { return fakeclock.New(start) }

func TestTokenOtherErrorsPassThrough(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	err := c.Get(testContext(t), jwtapitest.PathFilms+"99", nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || ae.Code != "not-found" || !errors.Is(err, bearer.ErrNotFound) {
		t.Errorf("GET an unknown film = %v; want the server's 404 not-found as an *APIError", err)
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 0 {
		t.Errorf("Stats() = %+v; want 1 login and no refresh", got)
	}
}

func TestTokenLogoutWithContext(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	if err := c.Logout(testContext(t)); err != nil {
		t.Fatalf("Logout = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after Logout = %v", err)
	}
	if got := f.api.Stats().Logouts; got != 1 {
		t.Errorf("logouts = %d; want 1 for Logout then Close", got)
	}
}

// A refresh answered 5xx may have been applied by a server that rotates
// its refresh tokens, as seed 004's does: the failure is in doubt, so
// that a later rejection is reported as a lost lineage.
func TestTokenRefresh5xxIsInDoubt(t *testing.T) {
	s, f := setupShapes(t)
	s.failNext.Store(1)
	failed := make(chan error, 10)
	cfg := shapeConfig(login.JSON)
	cfg.Refresher.RetryMin = time.Second
	cfg.Refresher.Observer = tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
		if e.Kind == tokenrefresh.Failed {
			failed <- e.Err
		}
	})
	c := f.client(t, cfg)
	tok, err := c.Refresher().Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(tok.Expiry.Sub(f.clk.Now()) - time.Minute) // inside the early window
	select {
	case err := <-failed:
		if !tokenrefresh.IsInDoubt(err) || !strings.Contains(err.Error(), "503") {
			t.Errorf("failed refresh = %v (in doubt: %v); want the 503, in doubt", err, tokenrefresh.IsInDoubt(err))
		}
	case <-time.After(waitLimit):
		t.Fatal("no failed refresh")
	}
}

// A token that died (expired, and every refresh fails) is not logged out:
// Logout returns at once, rather than wait for a refresh that keeps
// failing for as long as its context lasts.
func TestTokenLogoutOfADeadTokenReturnsAtOnce(t *testing.T) {
	s, f := setupShapes(t)
	s.failNext.Store(1 << 30)
	cfg := shapeConfig(login.JSON)
	cfg.Logout = login.TokenRequest{Path: "auth/logout"}
	c := f.client(t, cfg)
	tok, err := c.Refresher().Token(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(tok.Expiry.Sub(f.clk.Now()) + time.Second) // expired
	done := make(chan error, 1)
	go func() { done <- c.Logout(context.Background()) }() // no deadline: it must not wait for one
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Logout = %v; want nil: there was nothing to log out", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Logout of a dead token waited for a refresh that keeps failing")
	}
	if n := s.logouts.Load(); n != 0 {
		t.Errorf("logout requests = %d; want 0 for a dead token", n)
	}
}
