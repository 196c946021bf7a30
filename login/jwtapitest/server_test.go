package jwtapitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

func TestStats(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")                                                     // signup, login
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password))     // already logged in
	f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "Wr0ngPassX")) // not found
	next := refreshOK(t, f.refresh(t, tokens.RefreshToken, tokens.Token))
	f.films(t, "")                                                       // no token
	f.films(t, tokens.RefreshToken)                                      // token-invalid
	f.call(t, http.MethodGet, jwtapitest.PathUsers+"1", next.Token, nil) // authorisation-required
	f.logout(t, next.Token)                                              // logout
	f.api.SetRedisDown(true)
	f.films(t, next.Token) // unavailable
	f.api.SetRedisDown(false)
	again := f.login(t, "luke@rebels.org") // login
	f.clock.Advance(accessTTL)
	f.films(t, again.Token)                       // token-expired
	f.refresh(t, again.RefreshToken, again.Token) // crash: the old access token expired

	want := jwtapitest.Stats{
		Signups: 1, Logins: 2, LoginsFailed: 2, AlreadyLoggedIn: 1, Refreshes: 1, Logouts: 1,
		NoToken: 1, TokenExpired: 1, TokenInvalid: 1, AuthorisationRequired: 1, Unavailable: 1, Crashes: 1,
	}
	if got := f.api.Stats(); got != want {
		t.Errorf("Stats() = %+v; want %+v", got, want)
	}
}

func TestRoutes(t *testing.T) {
	f := setup(t)
	notFound := "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."
	for _, path := range []string{"/", "/films", "/films/v2/", "/users/v1/", "/users/v1/signup/extra"} {
		wantProblem(t, "GET "+path, f.call(t, http.MethodGet, path, "", nil), http.StatusNotFound, notFound)
	}
	for _, tt := range []struct{ method, path, allow string }{
		{http.MethodPost, jwtapitest.PathFilms, "GET"},
		{http.MethodPost, jwtapitest.PathLogout, "GET"},
		{http.MethodDelete, jwtapitest.PathLogin, "POST"},
	} {
		r := f.call(t, tt.method, tt.path, "", nil)
		wantProblem(t, tt.method+" "+tt.path, r, http.StatusMethodNotAllowed, "The method is not allowed for the requested URL.")
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q; want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	f := setup(t)
	body := `{"email":"a@b.org","password":"Passw0rdX","pad":"` + strings.Repeat("a", 1<<20) + `"}`
	r := f.call(t, http.MethodPost, jwtapitest.PathSignup, "", body)
	wantProblem(t, "signup with a body over 1 MiB", r, http.StatusRequestEntityTooLarge,
		"The data value transmitted exceeds the capacity limit.")
	if got := f.api.Stats().Signups; got != 0 {
		t.Errorf("Stats().Signups = %d; want 0", got)
	}
}

// One refresh token used by many clients at once rotates exactly once.
func TestConcurrentRefreshWithOneToken(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	const n = 32
	statuses := make(chan int, n)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+jwtapitest.PathGenerateTokens+"?old_access_token="+tokens.Token, nil)
			req.Header.Set("Authorization", "Bearer "+tokens.RefreshToken)
			resp, err := f.ts.Client().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	close(ready)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusUnauthorized] != n-1 {
		t.Errorf("statuses of %d concurrent refreshes with one token = %v; want one 200, the rest 401", n, count)
	}
	if got := f.api.Stats(); got.Refreshes != 1 || got.TokenInvalid != n-1 {
		t.Errorf("Stats() refreshes = %d, token-invalid = %d; want 1, %d", got.Refreshes, got.TokenInvalid, n-1)
	}
}

func TestConcurrentUsers(t *testing.T) {
	f := setup(t)
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- userSession(f, fmt.Sprintf("user%d@x.org", i))
		}()
	}
	wg.Add(1)
	go func() { // the test's side, reading and writing server state meanwhile
		defer wg.Done()
		for range n {
			f.api.Stats()
			f.clock.Advance(time.Second)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := f.api.Stats(); got.Signups != n || got.Refreshes != n || got.Logouts != n {
		t.Errorf("Stats() = %+v; want %d signups, refreshes and logouts", got, n)
	}
}

// userSession signs up, lists films, refreshes and logs out, without t
// (it runs off the test goroutine).
func userSession(f *fixture, email string) error {
	c := f.ts.Client()
	post := func(path string, v any, out any) error {
		b, _ := json.Marshal(v)
		resp, err := c.Post(f.ts.URL+path, "application/json", bytes.NewReader(b))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST %s: %s", path, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	get := func(path, token string, out any) error {
		req, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: GET %s: %s", email, path, resp.Status)
		}
		return json.NewDecoder(resp.Body).Decode(out)
	}
	var signedUp struct{}
	if err := post(jwtapitest.PathSignup, creds(email, password), &signedUp); err != nil {
		return err
	}
	if err := f.api.VerifyEmail(email); err != nil {
		return err
	}
	var login jwtapitest.LoginResponse
	if err := post(jwtapitest.PathLogin, creds(email, password), &login); err != nil {
		return err
	}
	var films jwtapitest.FilmList
	if err := get(jwtapitest.PathFilms, login.Token.Reveal(), &films); err != nil {
		return err
	}
	var next jwtapitest.RefreshResponse
	if err := get(jwtapitest.PathGenerateTokens+"?old_access_token="+login.Token.Reveal(), login.RefreshToken.Reveal(), &next); err != nil {
		return err
	}
	var empty struct{}
	return get(jwtapitest.PathLogout, next.Token.Reveal(), &empty)
}

func TestOptionsValidate(t *testing.T) {
	bad := map[string]jwtapitest.Option{
		"nil clock":         jwtapitest.WithClock(nil),
		"sub-second access": jwtapitest.WithAccessTTL(time.Millisecond),
		"negative refresh":  jwtapitest.WithRefreshTTL(-time.Hour),
		"short secret":      jwtapitest.WithSecrets([]byte("short"), refreshSecret),
		"same secrets":      jwtapitest.WithSecrets(accessSecret, accessSecret),
		"nil logger":        jwtapitest.WithLogger(nil),
	}
	for name, opt := range bad {
		if api, err := jwtapitest.New(opt); err == nil || api != nil {
			t.Errorf("New(%s) = %v, %v; want nil and an error", name, api, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	a, err := jwtapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	b, err := jwtapitest.New()
	if err != nil {
		t.Fatal(err)
	}
	token := func(api *jwtapitest.Server) string {
		if _, err := api.AddUser("a@b.org", "Passw0rdX", jwtapitest.RoleBasic); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, jwtapitest.PathLogin, strings.NewReader(`{"email":"a@b.org","password":"Passw0rdX"}`))
		req.Header.Set("Content-Type", "application/json")
		api.ServeHTTP(rec, req)
		var out jwtapitest.LoginResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("signup: %d %s", rec.Code, rec.Body)
		}
		return out.Token.Reveal()
	}
	ta := token(a)
	c := &jwtapitest.Claims{}
	if _, _, err := jwt.NewParser().ParseUnverified(ta, c); err != nil {
		t.Fatal(err)
	}
	if got := c.ExpiresAt.Sub(c.IssuedAt.Time); got != jwtapitest.DefaultAccessTTL {
		t.Errorf("default access lifetime = %v; want %v", got, jwtapitest.DefaultAccessTTL)
	}
	// Each server draws its own secret: a's token means nothing to b.
	token(b)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, jwtapitest.PathFilms, nil)
	req.Header.Set("Authorization", "Bearer "+ta)
	b.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), jwtapitest.CodeTokenInvalid) {
		t.Errorf("server b given server a's token = %d %s; want 401 token-invalid", rec.Code, rec.Body)
	}
}

func FuzzAuthorization(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo")
	f.Add("Bearer a.b.c")
	f.Add("bearer  ")
	f.Add("Basic x")
	f.Add("Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.")
	api, err := jwtapitest.New(jwtapitest.WithSecrets(accessSecret, refreshSecret))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, authorization string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, jwtapitest.PathFilms, nil)
		req.Header.Set("Authorization", authorization)
		api.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("GET films with Authorization %q = %d; want 401", authorization, rec.Code)
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("401 body %q is not JSON: %v", rec.Body, err)
		}
	})
}

func FuzzCredentials(f *testing.F) {
	f.Add(`{"email":"a@b.org","password":"Passw0rdX"}`)
	f.Add(`{"email":"a@b.org","password":"Passw0rdX","access_role":"admin"}`)
	f.Add(`{"email":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		api, err := jwtapitest.New(jwtapitest.WithSecrets(accessSecret, refreshSecret))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{jwtapitest.PathSignup, jwtapitest.PathLogin} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			api.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			default:
				t.Fatalf("POST %s %q = %d; want 200, 400 or 404", path, body, rec.Code)
			}
		}
	})
}
