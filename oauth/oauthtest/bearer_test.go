package oauthtest_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// wantUnauthorized checks a bearer rejection: 401 {"detail":"Unauthorized"}
// and a WWW-Authenticate challenge that contains challenge.
func wantUnauthorized(t *testing.T, what string, a answer, challenge string) {
	t.Helper()
	if a.status != http.StatusUnauthorized || strings.TrimSpace(string(a.body)) != `{"detail":"Unauthorized"}` {
		t.Errorf("%s = %d %s; want 401 {\"detail\":\"Unauthorized\"}", what, a.status, a.body)
	}
	if got := a.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") || !strings.Contains(got, challenge) {
		t.Errorf("%s: WWW-Authenticate = %q; want a Bearer challenge with %q", what, got, challenge)
	}
}

func TestUsersMe(t *testing.T) {
	f := setup(t)
	a := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, f.login(t), nil)
	if a.status != http.StatusOK {
		t.Fatalf("users/me = %d %s; want 200", a.status, a.body)
	}
	var got oauthtest.User
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	want := oauthtest.User{ID: f.user.ID, Email: testEmail, IsActive: true}
	if got != want {
		t.Errorf("users/me = %+v; want %+v", got, want)
	}
	for _, k := range []string{"id", "email", "is_active", "is_superuser", "is_verified"} {
		if _, ok := a.json(t)[k]; !ok {
			t.Errorf("users/me %s has no %q", a.body, k)
		}
	}
}

func TestBearerRejects(t *testing.T) {
	f := setup(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	stranger := setup(t, func(c *oauthtest.Config) { c.Key = otherKey })
	foreign := mustToken(t, stranger.auth.URL, passwordForm(testEmail, testPassword), nil).AccessToken
	good := f.login(t)
	tests := []struct {
		name, header, challenge string
	}{
		{"no header", "", `Bearer`},
		{"Basic scheme", "Basic " + good, `Bearer`},
		{"empty token", "Bearer ", `Bearer`},
		{"garbage", "Bearer not-a-jwt", `error="invalid_token"`},
		{"signed by another key", "Bearer " + foreign, `error="invalid_token"`},
		{"tampered", "Bearer " + good[:len(good)-4] + "AAAA", `error="invalid_token"`},
	}
	for _, tt := range tests {
		for _, u := range []string{f.auth.URL + oauthtest.UsersMePath, f.api.URL + oauthtest.EchoPath} {
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			wantUnauthorized(t, tt.name+" "+req.URL.Path, do(t, req), tt.challenge)
		}
	}
	req, err := http.NewRequest(http.MethodGet, f.auth.URL+oauthtest.UsersMePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer "+good)
	if a := do(t, req); a.status != http.StatusOK {
		t.Errorf("users/me with scheme %q = %d; want 200 (the scheme is case-insensitive)", "bearer", a.status)
	}
	if got := f.srv.Stats().Unauthorized; got != 2*len(tests) {
		t.Errorf("Stats().Unauthorized = %d; want %d", got, 2*len(tests))
	}
}

func TestExpiryOnTheInjectedClock(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	// The clock reads 2022: on the wall clock this token expired long ago.
	f.clock.Advance(oauthtest.DefaultTokenLifetime - time.Second)
	if a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil); a.status != http.StatusOK {
		t.Fatalf("echo 1 s before exp = %d %s; want 200", a.status, a.body)
	}
	f.clock.Advance(time.Second)
	a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil)
	wantUnauthorized(t, "echo at exp", a, `error="invalid_token", error_description="the access token expired"`)
	a = withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok, nil)
	wantUnauthorized(t, "users/me at exp", a, "expired")
}

func TestRevokeAll(t *testing.T) {
	f := setup(t)
	old := f.login(t)
	f.srv.RevokeAll()
	for _, u := range []string{f.api.URL + oauthtest.EchoPath, f.auth.URL + oauthtest.UsersMePath} {
		a := withToken(t, http.MethodGet, u, old, nil)
		wantUnauthorized(t, "revoked token at "+u, a, `Bearer error="invalid_token", error_description="the access token was revoked"`)
	}
	// A token issued after the revocation, even in the same second, works.
	if a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, f.login(t), nil); a.status != http.StatusOK {
		t.Errorf("echo with a token issued after RevokeAll = %d %s; want 200", a.status, a.body)
	}
}

func TestAPIRejectsTokensForAnotherAudience(t *testing.T) {
	f := setup(t)
	other := setup(t, func(c *oauthtest.Config) { c.APIAudience = "https://other-api.example" })
	tok := mustToken(t, other.auth.URL, passwordForm(testEmail, testPassword), nil).AccessToken
	a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil)
	wantUnauthorized(t, "echo with another API's token", a, "not meant for this service")
	if a := withToken(t, http.MethodGet, other.api.URL+oauthtest.EchoPath, tok, nil); a.status != http.StatusOK {
		t.Errorf("echo on its own API = %d %s; want 200", a.status, a.body)
	}
}

func TestEcho(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath+"?region=us&region=ca", tok, nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET echo = %d %s; want 200", a.status, a.body)
	}
	var got struct {
		UserID string              `json:"user_id"`
		Method string              `json:"method"`
		Path   string              `json:"path"`
		Query  map[string][]string `json:"query"`
		Body   json.RawMessage     `json:"body"`
	}
	if err := json.Unmarshal(a.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.UserID != f.user.ID || got.Method != "GET" || got.Path != oauthtest.EchoPath || strings.Join(got.Query["region"], ",") != "us,ca" {
		t.Errorf("GET echo = %s; want user %s, GET, %s, region us,ca", a.body, f.user.ID, oauthtest.EchoPath)
	}

	a = withToken(t, http.MethodPost, f.api.URL+oauthtest.EchoPath, tok, strings.NewReader(`{"n": 1}`))
	if err := json.Unmarshal(a.body, &got); err != nil || a.status != http.StatusOK || string(got.Body) != `{"n":1}` {
		t.Errorf("POST echo = %d %s (%v); want 200 echoing the body", a.status, a.body, err)
	}
	a = withToken(t, http.MethodPost, f.api.URL+oauthtest.EchoPath, tok, strings.NewReader(`{not json`))
	if a.status != http.StatusUnprocessableEntity {
		t.Errorf("POST echo with a bad body = %d %s; want 422", a.status, a.body)
	}
	a = withToken(t, http.MethodDelete, f.api.URL+oauthtest.EchoPath, tok, nil)
	if a.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE echo = %d; want 405", a.status)
	}
	a = withToken(t, http.MethodGet, f.api.URL+"/nowhere", tok, nil)
	wantError(t, a, http.StatusNotFound, "detail", "Not Found")
}

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	secretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

func TestCreateClient(t *testing.T) {
	f := setup(t)
	a := withToken(t, http.MethodPost, f.auth.URL+oauthtest.ClientsPath, f.login(t), nil)
	if a.status != http.StatusCreated {
		t.Fatalf("POST clients = %d %s; want 201", a.status, a.body)
	}
	var c createdClient
	if err := json.Unmarshal(a.body, &c); err != nil {
		t.Fatal(err)
	}
	if c.UserID != f.user.ID || !uuidRE.MatchString(c.ClientID) || !secretRE.MatchString(c.ClientSecret) {
		t.Errorf("POST clients = %s; want user %s, a UUID and a 43-character URL-safe secret", a.body, f.user.ID)
	}
	if !uuidRE.MatchString(f.user.ID) {
		t.Errorf("user id %q is not a UUID", f.user.ID)
	}
	mustToken(t, f.auth.URL, url.Values{"grant_type": {"client_credentials"}}, basic(c.ClientID, c.ClientSecret))
}

func TestCreateClientNeedsAToken(t *testing.T) {
	f := setup(t)
	wantUnauthorized(t, "POST clients without a token", withToken(t, http.MethodPost, f.auth.URL+oauthtest.ClientsPath, "", nil), "Bearer")
	a := withToken(t, http.MethodGet, f.auth.URL+oauthtest.ClientsPath, f.login(t), nil)
	if a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET clients = %d; want 405", a.status)
	}
}
