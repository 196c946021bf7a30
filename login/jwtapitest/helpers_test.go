package jwtapitest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/roundtrip"
	"github.com/golang-jwt/jwt/v5"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

// The seed's published secrets (JWT_SECRET, JWT_REFRESH_SECRET), so tests can
// read and forge tokens.
var (
	accessSecret  = []byte("0f8014e60a33413b8f1ef6c414a5ed86")
	refreshSecret = []byte("0f8014e60a33413b8f1ef6c414a7ab21")
)

// Lifetimes of the fixture's tokens: short, as a client under test wants them.
const (
	accessTTL  = 15 * time.Minute
	refreshTTL = time.Hour
)

// password passes the seed's password pattern.
const password = "Passw0rdX"

// fixture is a fake API on a loopback httptest server.
type fixture struct {
	api   *jwtapitest.Server
	ts    *httptest.Server
	clock *fakeclock.Clock
}

// start is the fixture clock's first reading: a whole second (exp and iat
// are whole seconds, so expiry falls exactly TTL later).
var start = time.Date(2022, 1, 11, 5, 19, 16, 0, time.UTC)

// setup starts a server with the seed's secrets, the fixture's lifetimes
// and clock, and any further options.
func setup(t *testing.T, opts ...jwtapitest.Option) *fixture {
	t.Helper()
	clk := fakeclock.New(start)
	api, err := jwtapitest.New(append([]jwtapitest.Option{
		jwtapitest.WithClock(clk.Now),
		jwtapitest.WithAccessTTL(accessTTL),
		jwtapitest.WithRefreshTTL(refreshTTL),
		jwtapitest.WithSecrets(accessSecret, refreshSecret),
	}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	return &fixture{api: api, ts: ts, clock: clk}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// call sends a request. body is sent as JSON: a string as it is, anything
// else marshalled. bearer, when set, goes in the Authorization header.
func (f *fixture) call(t *testing.T, method, path, bearer string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, f.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return send(t, f.ts.Client(), req)
}

func send(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, body := roundtrip.Do(t, c, req)
	return reply{status: resp.StatusCode, header: resp.Header, body: body}
}

func creds(email, pw string) map[string]string {
	return map[string]string{"email": email, "password": pw}
}

// signup signs a user up (the server answers {}), verifies the email as
// the link of the verification email would, and logs in: it returns the
// login's tokens, and fails the test otherwise.
func (f *fixture) signup(t *testing.T, email string) issued {
	t.Helper()
	r := f.call(t, http.MethodPost, jwtapitest.PathSignup, "", creds(email, password))
	if r.status != http.StatusOK || string(r.body) != "{}\n" {
		t.Fatalf("signup = %d %s; want 200 {}", r.status, r.body)
	}
	if err := f.api.VerifyEmail(email); err != nil {
		t.Fatal(err)
	}
	return f.login(t, email)
}

// login logs a user in and returns the tokens; it fails the test otherwise.
func (f *fixture) login(t *testing.T, email string) issued {
	t.Helper()
	return loginOK(t, f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds(email, password)))
}

// issued is what a login or a refresh answered, its tokens revealed.
type issued struct {
	Email               string
	Token, RefreshToken string
	UserID, User        int
}

// loginOK decodes a login's answer, checking it is a 200 of JSON.
func loginOK(t *testing.T, r reply) issued {
	t.Helper()
	lr := decodeOK[jwtapitest.LoginResponse](t, r)
	return issued{Email: lr.Email, Token: lr.Token.Reveal(), RefreshToken: lr.RefreshToken.Reveal(), UserID: lr.UserID}
}

// refreshOK decodes a refresh's answer, checking it is a 200 of JSON.
func refreshOK(t *testing.T, r reply) issued {
	t.Helper()
	rr := decodeOK[jwtapitest.RefreshResponse](t, r)
	return issued{Token: rr.Token.Reveal(), RefreshToken: rr.RefreshToken.Reveal(), User: rr.User}
}

// refresh calls generate_tokens with a refresh token and the access
// token it replaces, as the seed's endpoint needs them.
func (f *fixture) refresh(t *testing.T, refreshToken, oldAccess string) reply {
	t.Helper()
	return f.call(t, http.MethodGet, jwtapitest.PathGenerateTokens+"?old_access_token="+url.QueryEscape(oldAccess), refreshToken, nil)
}

// logout calls logout with an access token.
func (f *fixture) logout(t *testing.T, token string) reply {
	t.Helper()
	return f.call(t, http.MethodGet, jwtapitest.PathLogout, token, nil)
}

// films lists the films with an access token.
func (f *fixture) films(t *testing.T, token string) reply {
	t.Helper()
	return f.call(t, http.MethodGet, jwtapitest.PathFilms, token, nil)
}

func decodeOK[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if r.status != http.StatusOK {
		t.Fatalf("status %d %s; want 200", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

// wantError checks a response is the seed's ApiError JSON, byte for byte.
func wantError(t *testing.T, what string, r reply, status int, code string) {
	t.Helper()
	want := `{"message":"` + code + `","status":"error"}` + "\n"
	if r.status != status || string(r.body) != want {
		t.Errorf("%s = %d %s; want %d %s", what, r.status, r.body, status, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type = %q; want application/json", what, ct)
	}
}

// wantProblem checks a response is connexion's problem document.
func wantProblem(t *testing.T, what string, r reply, status int, detail string) {
	t.Helper()
	var p jwtapitest.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: body %s is not a problem document: %v", what, r.body, err)
	}
	want := jwtapitest.Problem{Detail: detail, Status: status, Title: http.StatusText(status), Type: "about:blank"}
	if r.status != status || p != want {
		t.Errorf("%s = %d %+v; want %d %+v", what, r.status, p, status, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type = %q; want application/problem+json", what, ct)
	}
}

// claimsOf verifies token's signature with secret (not its times) and
// returns its claims.
func claimsOf(t *testing.T, token string, secret []byte) *jwtapitest.Claims {
	t.Helper()
	c := &jwtapitest.Claims{}
	_, err := jwt.ParseWithClaims(token, c, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	return c
}

// forge signs claims with secret, as someone who knows the secret could.
func forge(t *testing.T, claims jwt.Claims, secret []byte) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
