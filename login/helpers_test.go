package login_test

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

// waitLimit bounds every wait in these tests, so a broken test fails
// instead of hanging.
const waitLimit = 20 * time.Second

// start is the fake clocks' first reading.
var start = time.Date(2024, 5, 4, 12, 0, 0, 0, time.UTC)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// logTo returns a logger that writes text to l, at every level.
func logTo(l *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// quietServer keeps httptest's own logging (TLS handshake failures) out of
// the test output.
func quietServer(s *httptest.Server) {
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
}

// Seed 002's users.
const (
	alice   = "Alice"
	alicePW = "alice_pw"
)

// sessionFixture is the seed-002 server over TLS with a certificate made
// for the test.
type sessionFixture struct {
	srv     *sessiontest.Server
	ts      *httptest.Server
	certPEM []byte
	logins  atomic.Int64 // POST /login requests seen, answered or failed
}

func setupSession(t *testing.T, opts ...sessiontest.Option) *sessionFixture {
	t.Helper()
	srv, err := sessiontest.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, _, cert, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	f := &sessionFixture{srv: srv, certPEM: certPEM}
	f.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			f.logins.Add(1)
		}
		srv.ServeHTTP(w, r)
	}))
	quietServer(f.ts)
	f.ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	f.ts.StartTLS()
	t.Cleanup(f.ts.Close)
	return f
}

// session002 is the session login of seed 002, as its server needs it: a
// new login on 401 and on 403, which that server answers to the cookies
// of a session it no longer has.
func session002(username, password string) login.SessionConfig {
	return login.SessionConfig{
		Login:           login.Request{Path: "/login"},
		Credentials:     login.Credentials{Username: username, Password: secret.New(password)},
		ReloginStatuses: []int{http.StatusUnauthorized, http.StatusForbidden},
	}
}

// client returns a session client for the fixture that trusts its
// certificate.
func (f *sessionFixture) client(t *testing.T, cfg login.SessionConfig, opts ...login.Option) *login.Client {
	t.Helper()
	opts = append([]login.Option{login.WithBearerOptions(bearer.WithTrustedPEM(f.certPEM), bearer.WithRetryWait(time.Millisecond, time.Millisecond))}, opts...)
	c, err := login.NewSessionClient(f.ts.URL, cfg, opts...)
	if err != nil {
		t.Fatalf("NewSessionClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// refusals are seed 002's refused logins: the status and the realm it
// answers with.
var refusals = []struct {
	name, user, pw string
	status         int
	realm          string
}{
	{"wrong password", alice, "wrong_pw", http.StatusForbidden, "Password incorrect"},
	{"unknown user", "Mallory", "mallory_pw", http.StatusUnauthorized, "No such user"},
}

// secretNumber is the body of seed 002's GET /get-info.
type secretNumber struct {
	N int `json:"Secret-number"`
}

// getInfo calls GET /get-info and checks the answer on success.
func getInfo(t *testing.T, c *login.Client) error {
	t.Helper()
	var got secretNumber
	err := c.Get(testContext(t), "/get-info", &got)
	if err == nil && got.N != 42 {
		t.Errorf("GET /get-info = %+v; want Secret-number 42", got)
	}
	return err
}

// Seed 004's test account.
const (
	lukeEmail = "luke@rebels.org"
	lukePW    = "Passw0rdLuke"
)

// jwtFixture is the seed-004 API on a fake clock.
type jwtFixture struct {
	api    *jwtapitest.Server
	ts     *httptest.Server
	clk    *fakeclock.Clock // the client's clock, and the server's unless apart
	srvClk *fakeclock.Clock // the server's clock
	logs   *syncbuf.Buffer
}

type jwtOptions struct {
	accessTTL, refreshTTL time.Duration
	apartClocks           bool                            // the server keeps its own clock
	wrap                  func(http.Handler) http.Handler // wraps the API, if set
}

func setupJWT(t *testing.T, o jwtOptions) *jwtFixture {
	t.Helper()
	if o.accessTTL == 0 {
		o.accessTTL = 10 * time.Minute
	}
	if o.refreshTTL == 0 {
		o.refreshTTL = time.Hour
	}
	f := &jwtFixture{clk: fakeclock.New(start), logs: &syncbuf.Buffer{}}
	f.srvClk = f.clk
	if o.apartClocks {
		f.srvClk = fakeclock.New(start)
	}
	api, err := jwtapitest.New(jwtapitest.WithClock(f.srvClk.Now),
		jwtapitest.WithAccessTTL(o.accessTTL), jwtapitest.WithRefreshTTL(o.refreshTTL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AddUser(lukeEmail, lukePW, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	f.api = api
	var h http.Handler = api
	if o.wrap != nil {
		h = o.wrap(api)
	}
	f.ts = httptest.NewServer(h)
	t.Cleanup(f.ts.Close)
	return f
}

// seed004 is the token login of seed 004: its refresh names the access
// token it replaces as old_access_token.
func seed004(email, password string) login.TokenConfig {
	return login.TokenConfig{
		Login:       login.Request{Path: jwtapitest.PathLogin, UsernameField: "email"},
		Credentials: login.Credentials{Username: email, Password: secret.New(password)},
		Refresh: login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathGenerateTokens,
			TokenQuery: map[string]login.TokenKind{"old_access_token": login.AccessToken}},
		Logout: login.TokenRequest{Method: http.MethodGet, Path: jwtapitest.PathLogout},
	}
}

// config returns cfg on the fixture's clock, without jitter.
func (f *jwtFixture) config(cfg login.TokenConfig) login.TokenConfig {
	cfg.Refresher.Clock = f.clk
	cfg.Refresher.Jitter = -1
	return cfg
}

// client returns a token client for the fixture, logged in, so that the
// test's clock moves only after the login.
func (f *jwtFixture) client(t *testing.T, cfg login.TokenConfig, opts ...login.Option) *login.Client {
	t.Helper()
	c := f.clientNoLogin(t, cfg, opts...)
	if err := c.Login(testContext(t)); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c
}

// clientNoLogin returns a token client for the fixture, logging to the
// fixture's buffer, whose first login may still be running.
func (f *jwtFixture) clientNoLogin(t *testing.T, cfg login.TokenConfig, opts ...login.Option) *login.Client {
	t.Helper()
	opts = append([]login.Option{login.WithLogger(logTo(f.logs)), login.WithBearerOptions(bearer.WithRetryWait(time.Millisecond, time.Millisecond))}, opts...)
	c, err := login.NewTokenClient(testContext(t), f.ts.URL, f.config(cfg), opts...)
	if err != nil {
		t.Fatalf("NewTokenClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// films calls GET /films/v1/ and checks the answer on success.
func films(t *testing.T, c *login.Client) error {
	t.Helper()
	var got jwtapitest.FilmList
	err := c.Get(testContext(t), jwtapitest.PathFilms, &got)
	if err == nil && got.Count != 6 {
		t.Errorf("GET %s = %d films; want 6", jwtapitest.PathFilms, got.Count)
	}
	return err
}

// awaitRefreshAfter waits until the Refresher has planned a refresh after
// t: the one after the token it just published.
func (f *jwtFixture) awaitRefreshAfter(t *testing.T, after time.Time) {
	t.Helper()
	if _, err := f.clk.AwaitTimer(testContext(t), func(d time.Time) bool { return d.After(after) }); err != nil {
		t.Fatalf("no refresh planned after %v: %v", after, err)
	}
}

// currentToken returns the client's access token.
func currentToken(t *testing.T, c *login.Client) string {
	t.Helper()
	tok, err := c.Refresher().Token(testContext(t))
	if err != nil {
		t.Fatalf("Refresher().Token: %v", err)
	}
	return tok.AccessToken
}
