package login_test

import (
	"bytes"
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
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/sessiontest"
	"github.com/bearer-go/bearer/secret"
)

func TestSessionLogsInOnFirstRequest(t *testing.T) {
	f := setupSession(t)
	c := f.client(t, session002(alice, alicePW))
	for range 3 {
		if err := getInfo(t, c); err != nil {
			t.Fatalf("GET /get-info: %v", err)
		}
	}
	if got := f.srv.Stats(); got.Logins != 1 || got.Served != 3 {
		t.Errorf("Stats() = %+v; want 1 login and 3 requests served", got)
	}
}

func TestSessionLoginMethod(t *testing.T) {
	f := setupSession(t)
	c := f.client(t, session002(alice, alicePW))
	ctx := testContext(t)
	if err := c.Login(ctx); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatalf("Login again: %v", err)
	}
	if got := f.srv.Stats().Logins; got != 1 {
		t.Errorf("logins = %d after Login twice; want 1 (already logged in)", got)
	}
	if err := getInfo(t, c); err != nil {
		t.Errorf("GET /get-info after Login: %v", err)
	}
}

// TestSessionRestart: seed 002's server forgets its sessions when it
// restarts and answers the old cookies 403. Configured as that server
// needs (401 and 403), the client logs in again once and the request
// succeeds; with the default (401 only), the 403 is returned.
func TestSessionRestart(t *testing.T) {
	for _, seedConfig := range []bool{true, false} {
		t.Run(fmt.Sprint("401 and 403: ", seedConfig), func(t *testing.T) {
			f := setupSession(t)
			cfg := session002(alice, alicePW)
			if !seedConfig {
				cfg.ReloginStatuses = nil
			}
			c := f.client(t, cfg)
			if err := getInfo(t, c); err != nil {
				t.Fatal(err)
			}
			f.srv.Restart()
			err := getInfo(t, c)
			if seedConfig {
				if err != nil {
					t.Fatalf("GET /get-info after the restart: %v; want success after a new login", err)
				}
				if got := f.srv.Stats(); got.Logins != 2 || got.Denied != 1 || got.Served != 2 {
					t.Errorf("Stats() = %+v; want 2 logins, 1 denied, 2 served", got)
				}
				return
			}
			var ae *bearer.APIError
			if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden || ae.Message != "Alice denied access to resource" {
				t.Errorf("GET /get-info after the restart with the default statuses = %v; want the server's 403", err)
			}
			if got := f.srv.Stats().Logins; got != 1 {
				t.Errorf("logins = %d; want 1: no new login on 403 by default", got)
			}
		})
	}
}

func TestSessionRestartConcurrent(t *testing.T) {
	f := setupSession(t)
	c := f.client(t, session002(alice, alicePW))
	if err := getInfo(t, c); err != nil {
		t.Fatal(err)
	}
	f.srv.Restart()
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() { errs <- getInfo(t, c) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("GET /get-info: %v", err)
		}
	}
	if got := f.srv.Stats().Logins; got != 2 {
		t.Errorf("logins = %d; want 2: one new login for all %d requests", got, workers)
	}
}

// TestSessionBadCredentials checks that refused credentials give a clear
// error with the server's message and realm, are sent exactly once, and
// are never sent again; and that they are not a permission error, which
// bearer.ErrForbidden means.
func TestSessionBadCredentials(t *testing.T) {
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			f := setupSession(t)
			c := f.client(t, session002(tt.user, tt.pw))
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() { errs <- getInfo(t, c) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				checkRefused(t, err, tt.status, tt.realm)
			}
			if err := c.Login(testContext(t)); !errors.Is(err, login.ErrCredentialsRefused) {
				t.Errorf("Login = %v; want ErrCredentialsRefused", err)
			}
			if n := f.logins.Load(); n != 1 {
				t.Errorf("server saw %d logins; want exactly 1", n)
			}
		})
	}
}

// checkRefused checks err is seed 002's refusal of a login.
func checkRefused(t *testing.T, err error, status int, realm string) {
	t.Helper()
	var le *login.Error
	switch {
	case !errors.Is(err, login.ErrCredentialsRefused) || !errors.As(err, &le):
		t.Fatalf("GET /get-info = %v; want a *login.Error matching ErrCredentialsRefused", err)
	case errors.Is(err, bearer.ErrForbidden), errors.Is(err, bearer.ErrUnauthorized):
		t.Errorf("GET /get-info = %v; it matches bearer.ErrForbidden or ErrUnauthorized, which are about tokens", err)
	case le.Response == nil || le.Response.StatusCode != status || le.Response.Message != "Verification failed" || le.Realm() != realm:
		t.Errorf("the error's answer = %+v, realm %q; want %d Verification failed, realm %q", le.Response, le.Realm(), status, realm)
	}
	msg := err.Error()
	for _, want := range []string{"/login", "Verification failed", `realm "` + realm + `"`, "check the username and password"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

func TestSessionLoginFailureBacksOff(t *testing.T) {
	srv, err := sessiontest.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser(alice, alicePW); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(2)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	clk := fakeclock.New(start)
	cfg := session002(alice, alicePW)
	c, err := login.NewSessionClient(ts.URL, cfg, login.WithClock(clk), login.WithBearerOptions(bearer.WithRetryMax(0)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	steps := []struct {
		advance    time.Duration
		wantErr    string
		wantLogins int64
	}{
		{0, "500 Internal Server Error", 1},
		{0, "the next may start in 1s", 1},
		{login.LoginRetryMin, "500 Internal Server Error", 2},
		{login.LoginRetryMin, "the next may start in 1s", 2}, // the second wait is 2 s
		{login.LoginRetryMin, "", 3},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		err := getInfo(t, c)
		if s.wantErr == "" && err != nil || s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)) {
			t.Errorf("step %d: GET /get-info = %v; want error containing %q", i, err, s.wantErr)
		}
		if st := srv.Stats(); int64(st.Failed+st.Logins) != s.wantLogins {
			t.Errorf("step %d: %d login requests; want %d", i, st.Failed+st.Logins, s.wantLogins)
		}
	}
}

func TestSessionReloginStatuses(t *testing.T) {
	for _, withForbidden := range []bool{false, true} {
		t.Run(fmt.Sprint("403 relogs in: ", withForbidden), func(t *testing.T) {
			f := setupSession(t)
			cfg := session002(alice, alicePW)
			if !withForbidden {
				cfg.ReloginStatuses = nil
			}
			c := f.client(t, cfg)
			if err := getInfo(t, c); err != nil {
				t.Fatal(err)
			}
			// Another login of Alice replaces c's session: its cookies now get 403.
			other := f.client(t, cfg)
			if err := getInfo(t, other); err != nil {
				t.Fatal(err)
			}
			err := getInfo(t, c)
			if withForbidden {
				if err != nil {
					t.Errorf("GET /get-info with 403 configured: %v; want success after a new login", err)
				}
				return
			}
			var ae *bearer.APIError
			if !errors.Is(err, bearer.ErrForbidden) || !errors.As(err, &ae) || !bytes.Contains(ae.Body, []byte("denied access")) {
				t.Errorf("GET /get-info = %v; want the server's 403 as an *APIError", err)
			}
			if got := f.srv.Stats().Logins; got != 2 {
				t.Errorf("logins = %d; want 2 (no re-login on 403 by default)", got)
			}
		})
	}
}

// codeServer is a cookie-session API whose rejections carry an error code
// in a 400: POST /login sets sid; POST /echo echoes the body for the
// current sid. end ends the session.
type codeServer struct {
	mu     sync.Mutex // guards sid
	sid    int
	logins atomic.Int64
	echoes atomic.Int64
}

func (s *codeServer) end() {
	s.mu.Lock()
	s.sid += 100
	s.mu.Unlock()
}

func (s *codeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.URL.Path {
	case "/login":
		s.logins.Add(1)
		s.sid++
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: fmt.Sprint(s.sid), Path: "/", Domain: "127.0.0.1"})
		w.WriteHeader(http.StatusNoContent)
	case "/echo":
		s.echoes.Add(1)
		if ck, err := r.Cookie("sid"); err != nil || ck.Value != fmt.Sprint(s.sid) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"session_expired","error_description":"log in again"}`)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.Copy(w, r.Body)
	default:
		http.NotFound(w, r)
	}
}

func setupCodeServer(t *testing.T) (*codeServer, *login.Client) {
	t.Helper()
	s := &codeServer{}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	cfg := session002(alice, alicePW)
	cfg.ReloginCodes = []string{"session_expired"}
	c, err := login.NewSessionClient(ts.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func TestSessionReloginCodesAndReplayedBody(t *testing.T) {
	s, c := setupCodeServer(t)
	ctx := testContext(t)
	echo := func(body string) (string, error) {
		req, err := c.NewRequest(ctx, http.MethodPost, "echo", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = c.Do(req, &out)
		return out.String(), err
	}
	if got, err := echo("first"); err != nil || got != "first" {
		t.Fatalf("POST /echo = %q, %v; want first", got, err)
	}
	s.end()
	if got, err := echo("second"); err != nil || got != "second" {
		t.Errorf("POST /echo after the session ended = %q, %v; want second, sent again after a new login", got, err)
	}
	if n := s.logins.Load(); n != 2 {
		t.Errorf("logins = %d; want 2", n)
	}
}

// oneShotReader is a body that can be read only once: no GetBody.
type oneShotReader struct{ io.Reader }

func TestSessionBodyThatCannotBeSentAgain(t *testing.T) {
	s, c := setupCodeServer(t)
	ctx := testContext(t)
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	s.end()
	req, err := c.NewRequest(ctx, http.MethodPost, "echo", oneShotReader{strings.NewReader("once")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Do(req, nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.Code != "session_expired" {
		t.Errorf("POST /echo with a one-shot body = %v; want the rejection returned", err)
	}
	if n := s.echoes.Load(); n != 1 {
		t.Errorf("POST /echo sent %d times; want 1", n)
	}
	// The client logged in again all the same: the next request passes.
	req, _ = c.NewRequest(ctx, http.MethodPost, "echo", []byte("next"))
	if _, err := c.Do(req, nil); err != nil {
		t.Errorf("next POST /echo: %v; want success", err)
	}
	if n := s.logins.Load(); n != 2 {
		t.Errorf("logins = %d; want 2", n)
	}
}

func TestSessionRejectedTwiceIsReturned(t *testing.T) {
	// A server that ends every session at once: one re-login, one more
	// try, then the rejection.
	ts, logins, calls := sessionRejecter(t)
	c, err := login.NewSessionClient(ts.URL, session002(alice, alicePW))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Get(testContext(t), "/data", nil)
	if !errors.Is(err, bearer.ErrUnauthorized) {
		t.Errorf("GET /data = %v; want the 401", err)
	}
	if logins.Load() != 2 || calls.Load() != 2 {
		t.Errorf("%d logins, %d calls; want 2 and 2: one re-login and one more try", logins.Load(), calls.Load())
	}
}

// sessionRejecter starts a server that logs every login in and ends
// every session at once: each other request gets a 401. It counts the
// logins and the other requests.
func sessionRejecter(t *testing.T) (ts *httptest.Server, logins, calls *atomic.Int64) {
	t.Helper()
	logins, calls = new(atomic.Int64), new(atomic.Int64)
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login" {
			logins.Add(1)
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "x"})
			return
		}
		calls.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(ts.Close)
	return ts, logins, calls
}

// TestSessionReloginsAreLimited: a server that rejects every session gets
// a few logins, not one per request, as a Refresher's replacements are
// limited.
func TestSessionReloginsAreLimited(t *testing.T) {
	ts, logins, _ := sessionRejecter(t)
	clk := fakeclock.New(start)
	c, err := login.NewSessionClient(ts.URL, session002(alice, alicePW), login.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	steps := []struct {
		advance    time.Duration
		requests   int
		wantLogins int64
	}{
		{0, 40, 2},           // the first login, and one new login after the first rejection (issue 10: 40 requests, at most 5)
		{time.Second, 1, 3},  // a second later, one more
		{time.Second, 10, 3}, // the interval has doubled: none
		{time.Second, 1, 4},  // two seconds after the last
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		for range st.requests {
			if err := c.Get(testContext(t), "/data", nil); !errors.Is(err, bearer.ErrUnauthorized) {
				t.Fatalf("step %d: GET /data = %v; want the 401", i, err)
			}
		}
		if n := logins.Load(); n != st.wantLogins {
			t.Errorf("step %d: %d logins; want %d", i, n, st.wantLogins)
		}
	}
}

func TestSessionLoginWithoutCookies(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(ts.Close)
	for _, tt := range []struct {
		name string
		opts []login.Option
	}{
		{"no cookie set", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := login.NewSessionClient(ts.URL, session002(alice, alicePW), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Login(testContext(t))
			if err == nil || !strings.Contains(err.Error(), "set no cookie") {
				t.Errorf("Login = %v; want an error saying no cookie was set", err)
			}
		})
	}
}

func TestSessionWithHTTPClientOptionIsCaught(t *testing.T) {
	f := setupSession(t)
	// A caller's WithHTTPClient among the options drops the session's jar:
	// the login works but no cookie reaches the jar, and the error says so.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := f.client(t, session002(alice, alicePW), login.WithBearerOptions(bearer.WithHTTPClient(&http.Client{Transport: tr})))
	err := c.Login(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "login.WithHTTPClient") {
		t.Errorf("Login = %v; want an error pointing to login.WithHTTPClient", err)
	}
}

func TestSessionWithHTTPClient(t *testing.T) {
	f := setupSession(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: waitLimit}
	c := f.client(t, session002(alice, alicePW), login.WithHTTPClient(hc))
	if err := getInfo(t, c); err != nil {
		t.Errorf("GET /get-info with WithHTTPClient: %v", err)
	}
	if hc.Jar != nil {
		t.Error("the client given with WithHTTPClient was modified; want it left as it was")
	}
}

func TestSessionTLSTrust(t *testing.T) {
	f := setupSession(t)
	otherPEM, _, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	c, err := login.NewSessionClient(f.ts.URL, session002(alice, alicePW), login.WithBearerOptions(bearer.WithTrustedPEM(otherPEM)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		err = getInfo(t, c)
		var ue *bearer.UntrustedCertificateError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), ue.SHA256) {
			t.Fatalf("GET /get-info trusting another certificate = %v; want an *UntrustedCertificateError naming it", err)
		}
	}
	if n := f.logins.Load(); n != 0 {
		t.Errorf("server saw %d logins; want none", n)
	}
}

func TestSessionClose(t *testing.T) {
	f := setupSession(t)
	c := f.client(t, session002(alice, alicePW))
	if err := getInfo(t, c); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := getInfo(t, c); !errors.Is(err, login.ErrClosed) {
		t.Errorf("GET after Close = %v; want ErrClosed", err)
	}
}

type fakeJar struct{ http.CookieJar }

func TestSessionJSONLogin(t *testing.T) {
	var got atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/session" {
			body, _ := io.ReadAll(r.Body)
			got.Store(r.Method + " " + r.Header.Get("Content-Type") + " " + string(body))
			http.SetCookie(w, &http.Cookie{Name: "s", Value: "1"})
		}
	}))
	t.Cleanup(ts.Close)
	cfg := login.SessionConfig{
		Login: login.Request{Path: "api/session", Method: http.MethodPut, Encoding: login.JSON,
			UsernameField: "user", PasswordField: "pass", Fields: map[string]string{"remember": "yes"},
			SecretFields: map[string]secret.String{"client_secret": secret.New("app-s3cret")}},
		Credentials: login.Credentials{Username: alice, Password: secret.New(alicePW)},
	}
	c, err := login.NewSessionClient(ts.URL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testContext(t)); err != nil {
		t.Fatal(err)
	}
	want := `PUT application/json {"client_secret":"app-s3cret","pass":"alice_pw","remember":"yes","user":"Alice"}`
	if g, _ := got.Load().(string); g != want {
		t.Errorf("login request = %q; want %q", g, want)
	}
}
