package oauthtest_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/roundtrip"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// seedTime is the moment of the seed's first token (iat 1665079177). It is
// years in the past, so a check made on the wall clock instead of the
// injected one fails.
var seedTime = time.Unix(1665079177, 0)

const (
	testEmail    = "bennett@example.com"
	testPassword = "hunter2-correct-horse"
)

// createdClient is the answer of POST ClientsPath, as Climate Engine's
// notebook prints it.
type createdClient struct {
	UserID       string `json:"user_id"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// fixture is a running fake: its auth and API sides on two test servers,
// one user and one client of that user.
type fixture struct {
	srv    *oauthtest.Server
	auth   *httptest.Server
	api    *httptest.Server
	clock  *fakeclock.Clock
	logs   *syncbuf.Buffer
	user   oauthtest.User
	client oauthtest.Client
}

// setup starts a fake on a clock at seedTime. mods adjust the config.
func setup(t *testing.T, mods ...func(*oauthtest.Config)) *fixture {
	t.Helper()
	f := &fixture{clock: fakeclock.New(seedTime), logs: &syncbuf.Buffer{}}
	cfg := oauthtest.Config{
		Now:    f.clock.Now,
		Key:    testkeys.RSA(),
		Logger: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mods {
		m(&cfg)
	}
	srv, err := oauthtest.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.srv = srv
	f.user = srv.AddUser(testEmail, testPassword)
	if f.client, err = srv.AddClient(oauthtest.Client{UserID: f.user.ID}); err != nil {
		t.Fatalf("AddClient: %v", err)
	}
	f.auth = httptest.NewServer(srv)
	t.Cleanup(f.auth.Close)
	f.api = httptest.NewServer(srv.APIHandler())
	t.Cleanup(f.api.Close)
	return f
}

// answer is an HTTP answer read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the answer's body into a map.
func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d %q is not a JSON object: %v", a.status, a.body, err)
	}
	return m
}

// testClient bounds every request, so that a fault that outlives its Count
// fails the test instead of hanging it.
var testClient = &http.Client{Timeout: 30 * time.Second}

// do sends req and reads the answer.
func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, body := roundtrip.Do(t, testClient, req)
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// postForm posts form to the token endpoint of base; mod, if not nil,
// adjusts the request (to add a Basic header, say).
func postForm(t *testing.T, base string, form url.Values, mod func(*http.Request)) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+oauthtest.TokenPath, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if mod != nil {
		mod(req)
	}
	return do(t, req)
}

// withToken sends method url with a bearer token ("" for none).
func withToken(t *testing.T, method, url, token string, body io.Reader) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresAt   int64  `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

// mustToken posts form and wants a token.
func mustToken(t *testing.T, base string, form url.Values, mod func(*http.Request)) tokenAnswer {
	t.Helper()
	a := postForm(t, base, form, mod)
	if a.status != http.StatusOK {
		t.Fatalf("token request = %d %s; want 200", a.status, a.body)
	}
	var tok tokenAnswer
	if err := json.Unmarshal(a.body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token answer %s: %v, or no access_token", a.body, err)
	}
	return tok
}

func passwordForm(user, password string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {user}, "password": {password}}
}

// login gets a token with the fixture's user's password.
func (f *fixture) login(t *testing.T) string {
	t.Helper()
	return mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil).AccessToken
}

// assertionClaims are the claims of a client_secret_jwt assertion for c,
// valid at the fixture's clock for the fixture's token endpoint.
func (f *fixture) assertionClaims(c oauthtest.Client) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": c.ClientID,
		"sub": c.ClientID,
		"aud": f.auth.URL + oauthtest.TokenPath,
		"exp": f.clock.Now().Add(time.Minute).Unix(),
		"iat": f.clock.Now().Unix(),
		"jti": rand.Text(),
	}
}

// sign signs claims with HS256 and the key.
func sign(t *testing.T, claims jwt.MapClaims, key string) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {oauthtest.JWTBearerAssertionType},
		"client_assertion":      {assertion},
	}
}

// basic sets client_secret_basic credentials, form-url-encoded first as
// RFC 6749 section 2.3.1 requires.
func basic(id, secret string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
}

// wantError checks an answer's status and a string field of its JSON body.
func wantError(t *testing.T, a answer, status int, field, want string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d (%s); want %d", a.status, a.body, status)
	}
	if got, _ := a.json(t)[field].(string); got != want {
		t.Errorf("%s = %q (body %s); want %q", field, got, a.body, want)
	}
}
