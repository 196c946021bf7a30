package login_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// canary collects the secrets a test used and everything printed, to
// check that no secret was printed.
type canary struct {
	mu      sync.Mutex // guards secrets, printed
	secrets []string
	printed []string
	logs    *syncbuf.Buffer
}

func newCanary(secrets ...string) *canary { return &canary{secrets: secrets, logs: &syncbuf.Buffer{}} }

func (c *canary) secret(s ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.secrets = append(c.secrets, s...)
}

// print records v as every format and log record would show it.
func (c *canary) print(vs ...any) {
	for _, v := range vs {
		if v == nil {
			continue
		}
		s := fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v)
		var b syncbuf.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("value", "v", v)
		s += b.String()
		c.mu.Lock()
		c.printed = append(c.printed, s)
		c.mu.Unlock()
	}
}

// rotations records every token a Refresher publishes.
func (c *canary) rotations(old, new *oauth2.Token) { c.secret(new.AccessToken, new.RefreshToken) }

func (c *canary) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	all := strings.Join(c.printed, "\n") + "\n" + c.logs.String()
	if len(c.secrets) < 6 || c.logs.String() == "" {
		t.Fatalf("the canary saw %d secrets and %d bytes of logs; the test is not exercising the clients", len(c.secrets), len(c.logs.String()))
	}
	for _, s := range c.secrets {
		if s != "" && strings.Contains(all, s) {
			t.Errorf("secret %.12q… was printed or logged", s)
		}
	}
}

// TestNoSecretInErrorsOrLogs runs every flow of both clients with a
// debug logger and checks that no password and no token reached an error,
// a log line, or a printed value.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	const sessionPW, tokenPW, wrongPW = "Canary-Session-Pa55", "Canary-Token-Pa55w0rd", "Wrong-Canary-Pa55w0rd"
	c := newCanary(sessionPW, tokenPW, wrongPW)
	t.Run("session", func(t *testing.T) { sessionFlows(t, c, sessionPW, wrongPW) })
	t.Run("tokens", func(t *testing.T) { tokenFlows(t, c, tokenPW, wrongPW) })
	t.Run("echoing server", func(t *testing.T) { echoingServer(t, c, wrongPW) })
	c.check(t)
}

func sessionFlows(t *testing.T, c *canary, pw, wrongPW string) {
	f := setupSession(t)
	if err := f.srv.AddUser("Canary", pw); err != nil {
		t.Fatal(err)
	}
	for _, creds := range [][2]string{{"Canary", pw}, {"Canary", wrongPW}, {"Nobody", wrongPW}} {
		cfg := session002(creds[0], creds[1])
		cl := f.client(t, cfg, login.WithLogger(logTo(c.logs)), login.WithBearerOptions(bearer.WithLogger(logTo(c.logs))))
		c.print(cfg, cfg.Credentials, cl, cl.Login(testContext(t)), getInfo(t, cl))
		f.srv.Restart()
		c.print(getInfo(t, cl), cl.Close(), getInfo(t, cl))
	}
}

func tokenFlows(t *testing.T, c *canary, pw, wrongPW string) {
	f := setupJWT(t, jwtOptions{refreshTTL: 30 * time.Minute})
	f.logs = c.logs
	if _, err := f.api.AddUser("canary@rebels.org", pw, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	cfg := seed004("canary@rebels.org", pw)
	cfg.Refresher.OnRotate = c.rotations
	cl := f.client(t, cfg, login.WithBearerOptions(bearer.WithLogger(logTo(c.logs))))
	c.print(cfg, cl, films(t, cl))
	f.clk.Advance(9 * time.Minute) // a refresh
	c.print(films(t, cl))
	f.api.Revoke(currentToken(t, cl)) // token-invalid: a refresh
	c.print(films(t, cl), cl.Get(testContext(t), jwtapitest.PathUsers+"1", nil))
	f.clk.Advance(2 * time.Hour) // the refresh token expired: a new login, refused: the user is logged in
	c.print(films(t, cl), cl.Close(), films(t, cl))

	bad := f.clientNoLogin(t, seed004("canary@rebels.org", wrongPW))
	c.print(bad.Login(testContext(t)), films(t, bad))

	initial := loginTokens(t, f, "orphan@rebels.org")
	c.secret(initial.AccessToken, initial.RefreshToken)
	orphan := f.client(t, withoutCredentials(initial), login.WithBearerOptions(bearer.WithLogger(logTo(c.logs))))
	f.api.Revoke(initial.AccessToken)
	f.api.Revoke(initial.RefreshToken)
	c.print(films(t, orphan))
	initial2 := loginTokens(t, f, "orphan2@rebels.org")
	c.secret(initial2.AccessToken, initial2.RefreshToken)
	orphan2 := f.client(t, withoutCredentials(initial2))
	f.clk.Advance(2 * time.Hour)
	c.print(films(t, orphan2), orphan2.Refresher().Status())
}

// echoingServer quotes the password and the token it got in its error
// answers, as some servers do.
func echoingServer(t *testing.T, c *canary, pw string) {
	var mu sync.Mutex
	issued := ""
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/login":
			if err := r.ParseForm(); err != nil || r.PostForm.Get("password") != "right" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"error":"bad_password","error_description":"password %s is wrong"}`, r.PostForm.Get("password"))
				return
			}
			issued = fmt.Sprintf("tok-%d-abcdefgh", time.Now().UnixNano())
			fmt.Fprintf(w, `{"access_token":%q}`, issued)
		default:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":"token %s lacks a role"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}
	}))
	t.Cleanup(ts.Close)
	for _, password := range []string{pw, "right"} {
		cfg := login.TokenConfig{
			Login:       login.Request{Path: "login", Encoding: login.Form},
			Credentials: login.Credentials{Username: "u", Password: secret.New(password)},
		}
		cfg.Refresher.OnRotate = c.rotations
		cl, err := login.NewTokenClient(testContext(t), ts.URL, cfg, login.WithLogger(logTo(c.logs)),
			login.WithBearerOptions(bearer.WithLogger(logTo(c.logs))))
		if err != nil {
			t.Fatal(err)
		}
		err = cl.Get(testContext(t), "data", nil)
		var pe *login.PermissionError
		var le *login.Error
		switch {
		case password == pw && (!errors.As(err, &le) || le.Response == nil):
			t.Errorf("GET with a wrong password = %v; want the server's answer in a *login.Error", err)
		case password != pw && !errors.As(err, &pe):
			t.Errorf("GET = %v; want a *PermissionError", err)
		}
		if pe != nil {
			c.print(pe.Response, string(pe.Response.Body))
		}
		if le != nil && le.Response != nil {
			c.print(le, le.Response, string(le.Response.Body))
		}
		c.print(err)
		cl.Close()
	}
}
