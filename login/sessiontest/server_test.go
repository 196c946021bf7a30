package sessiontest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/login/sessiontest"
)

// lifetime is the session lifetime the fixture's server uses.
const lifetime = time.Hour

// fixture is a fake session server behind TLS, with the seed's users.
type fixture struct {
	srv   *sessiontest.Server
	ts    *httptest.Server
	pool  *x509.CertPool
	clock *fakeclock.Clock
}

func setup(t *testing.T) *fixture {
	t.Helper()
	clk := fakeclock.New(time.Date(2021, 4, 18, 22, 54, 4, 387689000, time.UTC))
	srv, err := sessiontest.New(sessiontest.WithClock(clk.Now), sessiontest.WithSessionLifetime(lifetime))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			t.Fatalf("AddUser(%q): %v", name, err)
		}
	}
	ts, pool, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		t.Fatalf("NewTLSServer: %v", err)
	}
	t.Cleanup(ts.Close)
	return &fixture{srv: srv, ts: ts, pool: pool, clock: clk}
}

// client returns a client with its own cookie jar that trusts only the
// fixture's certificate.
func (f *fixture) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookiejar.New: %v", err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (f *fixture) login(t *testing.T, c *http.Client, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.ts.URL+"/login", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

func (f *fixture) get(t *testing.T, c *http.Client, path string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

func creds(user, pw string) url.Values {
	return url.Values{"username": {user}, "password": {pw}}
}

func TestProtectedEndpointsWithSession(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	if got := f.login(t, c, creds("Bob", "bob_pw")); got.status != http.StatusOK {
		t.Fatalf("login = %d %q", got.status, got.body)
	}
	got := f.get(t, c, "/get-info")
	if got.status != http.StatusOK || got.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /get-info = %d %q (%s); want 200 JSON", got.status, got.body, got.header.Get("Content-Type"))
	}
	var info map[string]int
	if err := json.Unmarshal([]byte(got.body), &info); err != nil || info["Secret-number"] != 42 || len(info) != 1 {
		t.Errorf("GET /get-info body = %q (%v); want {\"Secret-number\": 42}", got.body, err)
	}

	got = f.get(t, c, "/whoami")
	var who sessiontest.WhoAmI
	if err := json.Unmarshal([]byte(got.body), &who); err != nil || got.status != http.StatusOK {
		t.Fatalf("GET /whoami = %d %q (%v)", got.status, got.body, err)
	}
	want := sessiontest.WhoAmI{Username: "Bob", LoginTimestamp: "2021-04-18T22:54:04.387689"}
	if who != want {
		t.Errorf("GET /whoami = %+v; want %+v", who, want)
	}
}

func TestMissingCookiesGet401(t *testing.T) {
	f := setup(t)
	for _, path := range []string{"/get-info", "/whoami"} {
		for _, cookies := range [][]*http.Cookie{
			nil,
			{{Name: sessiontest.CookieUsername, Value: "Alice"}},
			{{Name: sessiontest.CookieToken, Value: "GGTo57n11xqe9cGqo7mzlA"}},
		} {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+path, nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			got := do(t, f.client(t), req)
			if got.status != http.StatusUnauthorized {
				t.Errorf("GET %s with cookies %v = %d %q; want 401", path, cookies, got.status, got.body)
			}
			if h := got.header.Get("WWW-Authenticate"); h != `Basic realm="Login required"` {
				t.Errorf("GET %s: WWW-Authenticate = %q; want the login challenge", path, h)
			}
		}
	}
}

func TestMismatchedCookiesGet403(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	if got := f.login(t, c, creds("Alice", "alice_pw")); got.status != http.StatusOK {
		t.Fatalf("login = %d", got.status)
	}
	u, _ := url.Parse(f.ts.URL)
	var token string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessiontest.CookieToken {
			token = ck.Value
		}
	}
	tests := []struct {
		name, user, token, wantBody string
	}{
		// The seed's own example: Alice's token under Bob's name.
		{"other user's name", "Bob", token, "Bob denied access to resource"},
		{"wrong token", "Alice", "GGTo57n11xqe9cGqo7mzlA", "Alice denied access to resource"},
		{"unknown user", "Mallory", token, "Mallory denied access to resource"},
		{"name is escaped", "<b>x</b>", token, "&lt;b&gt;x&lt;/b&gt; denied access to resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/get-info", nil)
			req.AddCookie(&http.Cookie{Name: sessiontest.CookieUsername, Value: tt.user})
			req.AddCookie(&http.Cookie{Name: sessiontest.CookieToken, Value: tt.token})
			got := do(t, f.client(t), req)
			if got.status != http.StatusForbidden || got.body != tt.wantBody {
				t.Errorf("GET /get-info = %d %q; want 403 %q", got.status, got.body, tt.wantBody)
			}
		})
	}
}

func TestSecondLoginReplacesFirstSession(t *testing.T) {
	f := setup(t)
	first, second := f.client(t), f.client(t)
	f.login(t, first, creds("Alice", "alice_pw"))
	if got := f.get(t, first, "/get-info"); got.status != http.StatusOK {
		t.Fatalf("first session: GET /get-info = %d", got.status)
	}
	f.login(t, second, creds("Alice", "alice_pw"))
	if got := f.get(t, first, "/get-info"); got.status != http.StatusForbidden {
		t.Errorf("first session after a second login: GET /get-info = %d; want 403", got.status)
	}
	if got := f.get(t, second, "/get-info"); got.status != http.StatusOK {
		t.Errorf("second session: GET /get-info = %d; want 200", got.status)
	}
}

func TestSessionLifetime(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	f.login(t, c, creds("Carlos", "carlos_pw"))

	f.clock.Advance(lifetime - time.Nanosecond)
	if got := f.get(t, c, "/get-info"); got.status != http.StatusOK {
		t.Fatalf("just before expiry: GET /get-info = %d; want 200", got.status)
	}
	f.clock.Advance(time.Nanosecond)
	got := f.get(t, c, "/get-info")
	if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != `Basic realm="Session expired"` {
		t.Fatalf("at expiry: GET /get-info = %d %q; want 401 with realm Session expired", got.status, got.header.Get("WWW-Authenticate"))
	}
	f.login(t, c, creds("Carlos", "carlos_pw"))
	if got := f.get(t, c, "/get-info"); got.status != http.StatusOK {
		t.Errorf("after logging in again: GET /get-info = %d; want 200", got.status)
	}
}

func TestNoLifetimeMeansSessionsLast(t *testing.T) {
	clk := fakeclock.New(time.Now())
	srv, err := sessiontest.New(sessiontest.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(ts.URL+"/login", creds("Alice", "alice_pw"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	clk.Advance(10 * 365 * 24 * time.Hour)
	resp, err = c.Get(ts.URL + "/get-info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("ten years later without a lifetime: GET /get-info = %d; want 200", resp.StatusCode)
	}
}

func TestResetSessions(t *testing.T) {
	f := setup(t)
	alice, bob := f.client(t), f.client(t)
	f.login(t, alice, creds("Alice", "alice_pw"))
	f.login(t, bob, creds("Bob", "bob_pw"))

	f.srv.ResetSessions()
	for name, c := range map[string]*http.Client{"Alice": alice, "Bob": bob} {
		got := f.get(t, c, "/whoami")
		if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != `Basic realm="Session ended"` {
			t.Errorf("%s after ResetSessions: GET /whoami = %d %q; want 401 realm Session ended", name, got.status, got.header.Get("WWW-Authenticate"))
		}
	}
	f.login(t, alice, creds("Alice", "alice_pw"))
	if got := f.get(t, alice, "/whoami"); got.status != http.StatusOK {
		t.Errorf("Alice logged in again: GET /whoami = %d; want 200", got.status)
	}
	if got := f.get(t, bob, "/whoami"); got.status != http.StatusUnauthorized {
		t.Errorf("Bob not logged in again: GET /whoami = %d; want 401", got.status)
	}
}

func TestStats(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	f.login(t, c, url.Values{})               // 401
	f.login(t, c, creds("Nobody", "x"))       // 401
	f.login(t, c, creds("Alice", "nope"))     // 403
	f.login(t, c, creds("Alice", "alice_pw")) // 200
	f.get(t, c, "/get-info")                  // served
	f.get(t, c, "/whoami")                    // served
	f.get(t, f.client(t), "/get-info")        // 401, no cookies
	c2 := f.client(t)
	f.login(t, c2, creds("Alice", "alice_pw")) // 200, replaces c's session
	f.get(t, c, "/get-info")                   // 403
	f.srv.ResetSessions()
	f.get(t, c2, "/whoami")          // 401, session ended
	f.get(t, f.client(t), "/whoami") // 401, no cookies

	want := sessiontest.Stats{
		Logins: 2, LoginsUnknownUser: 2, LoginsBadPassword: 1,
		Served: 2, Unauthenticated: 3, Forbidden: 1,
	}
	if got := f.srv.Stats(); got != want {
		t.Errorf("Stats() = %+v; want %+v", got, want)
	}
}

func TestRoutes(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/login", http.StatusMethodNotAllowed},
		{http.MethodPost, "/get-info", http.StatusMethodNotAllowed},
		{http.MethodGet, "/nowhere", http.StatusNotFound},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, f.ts.URL+tt.path, nil)
		if got := do(t, c, req); got.status != tt.want {
			t.Errorf("%s %s = %d; want %d", tt.method, tt.path, got.status, tt.want)
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	f := setup(t)
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan string, workers*2)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker has its own user, so no login replaces another's session.
			name := "user" + string(rune('A'+i))
			if err := f.srv.AddUser(name, "pw"); err != nil {
				errs <- err.Error()
				return
			}
			c := f.client(t)
			resp, err := c.PostForm(f.ts.URL+"/login", creds(name, "pw"))
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			for range 5 {
				resp, err := c.Get(f.ts.URL + "/whoami")
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- name + ": GET /whoami = " + resp.Status
				}
			}
			f.srv.Stats()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := f.srv.Stats(); got.Logins != workers || got.Served != workers*5 {
		t.Errorf("Stats() = %+v; want %d logins and %d served", got, workers, workers*5)
	}
}

func TestOptionsAndUsersValidate(t *testing.T) {
	bad := map[string]sessiontest.Option{
		"nil clock":         sessiontest.WithClock(nil),
		"negative lifetime": sessiontest.WithSessionLifetime(-time.Second),
		"nil logger":        sessiontest.WithLogger(nil),
	}
	for name, opt := range bad {
		if srv, err := sessiontest.New(opt); err == nil || srv != nil {
			t.Errorf("New(%s) = %v, %v; want nil and an error", name, srv, err)
		}
	}
	srv, err := sessiontest.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range [][2]string{{"", "pw"}, {"Alice", ""}} {
		if err := srv.AddUser(u[0], u[1]); err == nil {
			t.Errorf("AddUser(%q, %q) = nil; want an error", u[0], u[1])
		}
	}
}

func TestSeedUsersIsACopy(t *testing.T) {
	users := sessiontest.SeedUsers()
	users["Alice"] = "changed"
	if got := sessiontest.SeedUsers()["Alice"]; got != "alice_pw" {
		t.Errorf("SeedUsers()[Alice] = %q after a caller's change; want alice_pw", got)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	var logs bytes.Buffer
	clk := fakeclock.New(time.Now())
	srv, err := sessiontest.New(sessiontest.WithClock(clk.Now),
		sessiontest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	for _, pw := range []string{"wrong_pw_1", "alice_pw"} {
		resp, err := c.PostForm(ts.URL+"/login", creds("Alice", pw))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := c.Get(ts.URL + "/get-info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	u, _ := url.Parse(ts.URL)
	var token string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == sessiontest.CookieToken {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no token cookie after login")
	}
	printed := logs.String() + fmt.Sprintf("%v %+v %#v", srv, srv, srv)
	for _, secret := range []string{"alice_pw", "wrong_pw_1", token} {
		if strings.Contains(printed, secret) {
			t.Errorf("secret %q reached the logs or a printed value:\n%s", secret, printed)
		}
	}
	if !strings.Contains(logs.String(), "Alice") {
		t.Errorf("logs do not name the user:\n%s", logs.String())
	}
}
