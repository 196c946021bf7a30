package sessiontest_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
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
	"github.com/bearer-go/bearer/internal/roundtrip"
	"github.com/bearer-go/bearer/login/sessiontest"
)

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
	srv, err := sessiontest.New(sessiontest.WithClock(clk.Now))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			t.Fatalf("AddUser(%q): %v", name, err)
		}
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		t.Fatalf("NewTLSServer: %v", err)
	}
	t.Cleanup(ts.Close)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("NewTLSServer's certificate does not parse")
	}
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
	close  bool // the server asked to close the connection
}

func do(t *testing.T, c *http.Client, req *http.Request) reply {
	t.Helper()
	resp, body := roundtrip.Do(t, c, req)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body), close: resp.Close}
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
	if got.body != "{\"Secret-number\":42}\n" {
		t.Errorf("GET /get-info body = %q; want jsonify's {\"Secret-number\":42} and a newline", got.body)
	}
	if !got.close {
		t.Error("the answer keeps the connection open; want Connection: close, as the seed's development server answers")
	}
}

// TestGetInfoComparesAsPython checks the seed's one check, token !=
// auth_tokens.get(username), with Python's None for an absent cookie:
// absent cookies pass for a user without a session, as on the seed's
// server, and the 403 names the user as its f-string does.
func TestGetInfoComparesAsPython(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	if got := f.login(t, c, creds("Alice", "alice_pw")); got.status != http.StatusOK {
		t.Fatalf("login = %d", got.status)
	}
	token := f.token(t, c)
	tests := []struct {
		name       string
		user, tok  string // "" for an absent cookie
		wantStatus int
		wantBody   string
	}{
		{"Alice's own cookies", "Alice", token, http.StatusOK, "{\"Secret-number\":42}\n"},
		// The seed's own example: Alice's token under Bob's name.
		{"other user's name", "Bob", token, http.StatusForbidden, "Bob denied access to resource"},
		{"wrong token", "Alice", "GGTo57n11xqe9cGqo7mzlA", http.StatusForbidden, "Alice denied access to resource"},
		{"no token for a user with a session", "Alice", "", http.StatusForbidden, "Alice denied access to resource"},
		{"a token and no name", "", token, http.StatusForbidden, "None denied access to resource"},
		{"no cookies at all", "", "", http.StatusOK, "{\"Secret-number\":42}\n"},
		{"a name without a session and no token", "Mallory", "", http.StatusOK, "{\"Secret-number\":42}\n"},
		{"the name is quoted unescaped", "<b>x</b>", token, http.StatusForbidden, "<b>x</b> denied access to resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/get-info", nil)
			if tt.user != "" {
				req.AddCookie(&http.Cookie{Name: sessiontest.CookieUsername, Value: tt.user})
			}
			if tt.tok != "" {
				req.AddCookie(&http.Cookie{Name: sessiontest.CookieToken, Value: tt.tok})
			}
			got := do(t, f.client(t), req)
			if got.status != tt.wantStatus || got.body != tt.wantBody {
				t.Errorf("GET /get-info = %d %q; want %d %q", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
			if got.status == http.StatusForbidden && got.header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q; want Flask's text/html; charset=utf-8", got.header.Get("Content-Type"))
			}
		})
	}
}

// token returns the session token in c's jar.
func (f *fixture) token(t *testing.T, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(f.ts.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == sessiontest.CookieToken {
			return ck.Value
		}
	}
	t.Fatal("no token cookie in the jar")
	return ""
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

// TestRestart: the seed's server keeps its sessions in memory, so after a
// restart every old cookie gets its 403; a new login works again.
func TestRestart(t *testing.T) {
	f := setup(t)
	alice, bob := f.client(t), f.client(t)
	f.login(t, alice, creds("Alice", "alice_pw"))
	f.login(t, bob, creds("Bob", "bob_pw"))

	f.srv.Restart()
	for name, c := range map[string]*http.Client{"Alice": alice, "Bob": bob} {
		got := f.get(t, c, "/get-info")
		if want := name + " denied access to resource"; got.status != http.StatusForbidden || got.body != want {
			t.Errorf("%s after Restart: GET /get-info = %d %q; want 403 %q", name, got.status, got.body, want)
		}
		if h := got.header.Get("WWW-Authenticate"); h != "" {
			t.Errorf("%s after Restart: WWW-Authenticate = %q; want none, as the seed sends", name, h)
		}
	}
	f.login(t, alice, creds("Alice", "alice_pw"))
	if got := f.get(t, alice, "/get-info"); got.status != http.StatusOK {
		t.Errorf("Alice logged in again: GET /get-info = %d; want 200", got.status)
	}
	if got := f.get(t, bob, "/get-info"); got.status != http.StatusForbidden {
		t.Errorf("Bob not logged in again: GET /get-info = %d; want 403", got.status)
	}
	if got := f.srv.Stats().Restarts; got != 1 {
		t.Errorf("Stats().Restarts = %d; want 1", got)
	}
}

// TestFailNext: the next requests get Flask's 500 page, and do nothing.
func TestFailNext(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	f.srv.FailNext(2)
	for i := range 2 {
		got := f.login(t, c, creds("Alice", "alice_pw"))
		if got.status != http.StatusInternalServerError || !strings.Contains(got.body, "<title>500 Internal Server Error</title>") {
			t.Errorf("POST /login %d while failing = %d %q; want Flask's 500 page", i, got.status, got.body)
		}
	}
	if got := f.login(t, c, creds("Alice", "alice_pw")); got.status != http.StatusOK {
		t.Errorf("POST /login after the failures = %d; want 200", got.status)
	}
	f.srv.FailNext(5)
	f.srv.FailNext(0)
	if got := f.get(t, c, "/get-info"); got.status != http.StatusOK {
		t.Errorf("GET /get-info after FailNext(0) = %d; want 200", got.status)
	}
	if got := f.srv.Stats(); got.Failed != 2 || got.Logins != 1 {
		t.Errorf("Stats() = %+v; want 2 failed requests and 1 login", got)
	}
}

func TestStats(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	f.login(t, c, url.Values{})               // 401 Login required
	f.login(t, c, creds("Nobody", "x"))       // 401 No such user
	f.login(t, c, creds("Alice", "nope"))     // 403
	f.login(t, c, creds("Alice", "alice_pw")) // 200
	f.get(t, c, "/get-info")                  // served
	f.get(t, f.client(t), "/get-info")        // served: no cookies match no session
	c2 := f.client(t)
	f.login(t, c2, creds("Alice", "alice_pw")) // 200, replaces c's session
	f.get(t, c, "/get-info")                   // denied
	f.srv.Restart()
	f.get(t, c2, "/get-info") // denied

	want := sessiontest.Stats{
		Logins: 2, LoginsMissingField: 1, LoginsUnknownUser: 1, LoginsBadPassword: 1,
		Served: 2, Denied: 2, Restarts: 1,
	}
	if got := f.srv.Stats(); got != want {
		t.Errorf("Stats() = %+v; want %+v", got, want)
	}
}

// TestRoutes checks what Flask answers besides the seed's handlers: its
// 404 and 405 pages, OPTIONS with the methods allowed, HEAD for GET.
func TestRoutes(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	tests := []struct {
		method, path string
		want         int
		allow        string
		body         string
	}{
		{http.MethodGet, "/login", http.StatusMethodNotAllowed, "POST, OPTIONS", "<title>405 Method Not Allowed</title>"},
		{http.MethodPost, "/get-info", http.StatusMethodNotAllowed, "GET, HEAD, OPTIONS", "<title>405 Method Not Allowed</title>"},
		{http.MethodGet, "/nowhere", http.StatusNotFound, "", "<title>404 Not Found</title>"},
		{http.MethodGet, "/login/", http.StatusNotFound, "", "<title>404 Not Found</title>"},
		{http.MethodOptions, "/login", http.StatusOK, "POST, OPTIONS", ""},
		{http.MethodOptions, "/get-info", http.StatusOK, "GET, HEAD, OPTIONS", ""},
		{http.MethodHead, "/get-info", http.StatusOK, "", ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, f.ts.URL+tt.path, nil)
		got := do(t, c, req)
		if got.status != tt.want || got.header.Get("Allow") != tt.allow || !strings.Contains(got.body, tt.body) {
			t.Errorf("%s %s = %d Allow %q %q; want %d Allow %q with %q", tt.method, tt.path,
				got.status, got.header.Get("Allow"), got.body, tt.want, tt.allow, tt.body)
		}
		if ct := got.header.Get("Content-Type"); tt.path != "/get-info" || tt.want != http.StatusOK {
			if ct != "text/html; charset=utf-8" {
				t.Errorf("%s %s: Content-Type = %q; want Flask's text/html; charset=utf-8", tt.method, tt.path, ct)
			}
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
				resp, err := c.Get(f.ts.URL + "/get-info")
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- name + ": GET /get-info = " + resp.Status
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
		"nil clock":  sessiontest.WithClock(nil),
		"nil logger": sessiontest.WithLogger(nil),
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
