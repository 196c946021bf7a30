package login_test

import (
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

// TestTokenAcrossExpiries jumps past several expiries at once: callers
// wait for the refresh and never fail.
func TestTokenAcrossExpiries(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	for i := range 3 {
		f.clk.Advance(11 * time.Minute)
		if err := films(t, c); err != nil {
			t.Fatalf("round %d: GET films: %v", i, err)
		}
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 3 {
		t.Errorf("Stats() = %+v; want 1 login and 3 refreshes", got)
	}
}

// TestTokenExpiredCode checks token-expired: the server's clock runs ahead,
// so it calls a token expired that the client thinks fresh.
func TestTokenExpiredCode(t *testing.T) {
	f := setupJWT(t, jwtOptions{apartClocks: true})
	c := f.client(t, seed004(lukeEmail, lukePW))
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	f.srvClk.Advance(11 * time.Minute)
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() { errs <- films(t, c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GET films after token-expired: %v; want success after a refresh", err)
		}
	}
	if got := f.api.Stats(); got.Logins != 1 || got.Refreshes != 1 || got.TokenExpired == 0 {
		t.Errorf("Stats() = %+v; want 1 login, exactly 1 refresh for all %d callers", got, workers)
	}
}

func TestTokenInvalidCodeLogsInAgain(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	c := f.client(t, seed004(lukeEmail, lukePW))
	f.api.Revoke(currentToken(t, c))
	if err := films(t, c); err != nil {
		t.Fatalf("GET films with a revoked token: %v; want success after a new login", err)
	}
	if got := f.api.Stats(); got.Logins != 2 || got.Refreshes != 0 || got.TokenInvalid != 1 {
		t.Errorf("Stats() = %+v; want 2 logins, no refresh, 1 token-invalid", got)
	}
}

// signup signs luke up through the API and returns the tokens it gives.
func signup(t *testing.T, f *jwtFixture, email string) *oauth2.Token {
	t.Helper()
	hc := f.ts.Client()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, lukePW)
	resp, err := hc.Post(f.ts.URL+jwtapitest.PathSignup, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lr jwtapitest.LoginResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("signup = %d, %v", resp.StatusCode, err)
	}
	return &oauth2.Token{AccessToken: lr.Token, RefreshToken: lr.RefreshToken} // the expiry comes from the JWT
}

// withoutCredentials is seed004 started from tokens, with no credentials.
func withoutCredentials(initial *oauth2.Token) login.TokenConfig {
	cfg := seed004("", "")
	cfg.Login = login.Request{}
	cfg.Refresher.Initial = secret.New(initial)
	return cfg
}

func TestTokenInvalidWithoutCredentials(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	initial := signup(t, f, "leia@rebels.org")
	c := f.client(t, withoutCredentials(initial))
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Refresher().Status().Expiry, start.Add(10*time.Minute); !got.Equal(want) {
		t.Errorf("the sign-up token's expiry = %v; want %v, from its JWT", got, want)
	}
	f.api.Revoke(initial.AccessToken)
	for range 3 {
		err := films(t, c)
		if !errors.Is(err, login.ErrLoginRequired) {
			t.Fatalf("GET films with a revoked token and no credentials = %v; want ErrLoginRequired", err)
		}
		if !strings.Contains(err.Error(), "no credentials are held") {
			t.Errorf("error %q; want it to say no credentials are held", err)
		}
	}
	if got := f.api.Stats(); got.TokenInvalid != 1 || got.Logins != 0 {
		t.Errorf("Stats() = %+v; want 1 token-invalid (later calls fail at once) and no login", got)
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
// expired: a login with the credentials, or a clear error without them.
func TestTokenRefreshTokenExpired(t *testing.T) {
	t.Run("with credentials", func(t *testing.T) {
		f := setupJWT(t, jwtOptions{refreshTTL: 30 * time.Minute})
		c := f.client(t, seed004(lukeEmail, lukePW))
		if err := films(t, c); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(2 * time.Hour) // both tokens expire before any refresh
		if err := films(t, c); err != nil {
			t.Fatalf("GET films after the refresh token expired: %v; want success after a new login", err)
		}
		if got := f.api.Stats(); got.Logins != 2 || got.Refreshes != 0 || got.TokenExpired != 1 {
			t.Errorf("Stats() = %+v; want 2 logins, the refresh refused once as token-expired", got)
		}
		if logs := f.logs.String(); !strings.Contains(logs, "logging in again") {
			t.Errorf("logs do not say the client logged in again:\n%s", logs)
		}
	})
	t.Run("without credentials", func(t *testing.T) {
		f := setupJWT(t, jwtOptions{refreshTTL: 30 * time.Minute})
		c := f.client(t, withoutCredentials(signup(t, f, "han@rebels.org")))
		f.clk.Advance(2 * time.Hour)
		for range 2 {
			err := films(t, c)
			if !errors.Is(err, login.ErrLoginRequired) || !strings.Contains(err.Error(), "refresh token has expired or was revoked") {
				t.Fatalf("GET films = %v; want ErrLoginRequired saying the refresh token expired", err)
			}
		}
		if got := f.api.Stats(); got.Logins != 0 || got.TokenExpired != 1 {
			t.Errorf("Stats() = %+v; want no login and one refused refresh", got)
		}
	})
}

func TestTokenNoRefreshEndpointLogsInAgain(t *testing.T) {
	f := setupJWT(t, jwtOptions{})
	cfg := seed004(lukeEmail, lukePW)
	cfg.Refresh = login.TokenRequest{}
	c := f.client(t, cfg)
	f.clk.Advance(11 * time.Minute)
	if err := films(t, c); err != nil {
		t.Fatal(err)
	}
	if got := f.api.Stats(); got.Logins != 2 || got.Refreshes != 0 {
		t.Errorf("Stats() = %+v; want 2 logins and no refresh", got)
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
	mu       sync.Mutex // guards gen, got
	gen      int
	got      []string // what each refresh request carried
	refresh  atomic.Int64
	failNext atomic.Int64 // answer the next refreshes 503
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/auth/login":
		s.gen++
		fmt.Fprintf(w, `{"data":{"jwt":"access-%d","refresh":"refresh-%d"},"expires_in":"600","user":{"id":7}}`, s.gen, s.gen)
	case "/auth/refresh":
		s.refresh.Add(1)
		s.got = append(s.got, r.Header.Get("Content-Type")+" "+string(body))
		if s.failNext.Add(-1) >= 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.gen++
		fmt.Fprintf(w, `{"data":{"jwt":"access-%d"},"expires_in":300}`, s.gen)
	case "/data":
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

func TestTokenOtherAPIShapes(t *testing.T) {
	for _, enc := range []login.Encoding{login.JSON, login.Form} {
		t.Run(string(enc), func(t *testing.T) {
			s := &tokenServer{}
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			f := &jwtFixture{clk: nil, logs: &syncbuf.Buffer{}}
			f.clk = newClock()
			cfg := login.TokenConfig{
				Login:              login.Request{Path: "auth/login"},
				Credentials:        login.Credentials{Username: alice, Password: secret.New(alicePW)},
				Refresh:            login.TokenRequest{Path: "auth/refresh", Encoding: enc, Field: "refresh"},
				AccessTokenFields:  []string{"data.jwt"},
				RefreshTokenFields: []string{"data.refresh"},
			}
			f.ts = ts
			c := f.client(t, cfg)
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

func TestTokenRefreshFailureIsRetried(t *testing.T) {
	s := &tokenServer{}
	s.failNext.Store(1)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	f := &jwtFixture{clk: newClock(), logs: &syncbuf.Buffer{}, ts: ts}
	cfg := login.TokenConfig{
		Login:              login.Request{Path: "auth/login"},
		Credentials:        login.Credentials{Username: alice, Password: secret.New(alicePW)},
		Refresh:            login.TokenRequest{Path: "auth/refresh", Encoding: login.JSON, Field: "refresh"},
		AccessTokenFields:  []string{"data.jwt"},
		RefreshTokenFields: []string{"data.refresh"},
	}
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
