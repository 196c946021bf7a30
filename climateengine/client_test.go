package climateengine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

var epoch = time.Unix(1665079177, 0)

const (
	waitLimit    = 10 * time.Second
	testEmail    = "bennett@example.com"
	testPassword = "hunter2-CANARY-password"
)

// fixture is a fake Climate Engine (auth and API hosts) on a fake clock.
type fixture struct {
	srv       *oauthtest.Server
	auth, api *httptest.Server
	clk       *fakeclock.Clock
	user      oauthtest.User
	client    oauthtest.Client
	logs      *syncbuf.Buffer
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clk: fakeclock.New(epoch), logs: &syncbuf.Buffer{}}
	srv, err := climateenginetest.New(oauthtest.Config{Key: testkeys.RSA(), Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.user = srv.AddUser(testEmail, testPassword)
	if f.client, err = srv.AddClient(oauthtest.Client{UserID: f.user.ID}); err != nil {
		t.Fatal(err)
	}
	f.auth = httptest.NewServer(srv)
	t.Cleanup(f.auth.Close)
	f.api = httptest.NewServer(srv.APIHandler())
	t.Cleanup(f.api.Close)
	return f
}

// newClient builds a client of the fixture, closed with the test.
func (f *fixture) newClient(t *testing.T, creds climateengine.Credentials, opts ...climateengine.Option) *climateengine.Client {
	t.Helper()
	opts = append([]climateengine.Option{
		climateengine.WithAuthURL(f.auth.URL), climateengine.WithAPIURL(f.api.URL), climateengine.WithClock(f.clk),
		climateengine.WithLogger(slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		climateengine.WithBearerOptions(bearer.WithRetryWait(time.Millisecond, time.Millisecond)),
	}, opts...)
	c, err := climateengine.NewClient(context.Background(), creds, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (f *fixture) password() climateengine.Credentials {
	return climateengine.Credentials{Email: testEmail, Password: secret.New(testPassword)}
}

func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func TestLoginWithEitherCredentials(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name   string
		creds  climateengine.Credentials
		method oauthtest.AuthMethod
	}{
		{"password", f.password(), ""},
		{"client default (jwt)", climateengine.Credentials{ClientID: f.client.ClientID, ClientSecret: f.client.ClientSecret}, oauthtest.ClientSecretJWT},
		{"client basic", climateengine.Credentials{ClientID: f.client.ClientID, ClientSecret: f.client.ClientSecret, Method: oauth.ClientSecretBasic}, oauthtest.ClientSecretBasic},
		{"client post", climateengine.Credentials{ClientID: f.client.ClientID, ClientSecret: f.client.ClientSecret, Method: oauth.ClientSecretPost}, oauthtest.ClientSecretPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.srv.Stats()
			me, err := f.newClient(t, tt.creds).Users.Me(bounded(t))
			if err != nil {
				t.Fatalf("Users.Me() = %v", err)
			}
			want := climateengine.User{ID: f.user.ID, Email: testEmail, IsActive: true}
			if *me != want {
				t.Errorf("Users.Me() = %+v; want %+v", *me, want)
			}
			if tt.method != "" && f.srv.Stats().AuthMethods[tt.method] != before.AuthMethods[tt.method]+1 {
				t.Errorf("oauthtest saw methods %v; want one more %s login", f.srv.Stats().AuthMethods, tt.method)
			}
		})
	}
}

func TestCreateClientRevealsSecretOnlyOnRequest(t *testing.T) {
	f := setup(t)
	c := f.newClient(t, f.password())
	ac, err := c.Clients.Create(bounded(t))
	if err != nil {
		t.Fatalf("Clients.Create() = %v", err)
	}
	secret := ac.ClientSecret.Reveal()
	if ac.UserID != f.user.ID || ac.ClientID == "" || len(secret) < 20 {
		t.Fatalf("Clients.Create() = %v; want a client of the user with a secret", ac)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("created", "client", ac, "secret", ac.ClientSecret)
	js, _ := json.Marshal(ac)
	printed := fmt.Sprintf("%v %+v %#v %s %d %x %q", ac, ac, ac, ac.ClientSecret, ac.ClientSecret, ac.ClientSecret, ac.ClientSecret)
	for what, s := range map[string]string{"fmt": printed, "slog": logs.String(), "json": string(js)} {
		if strings.Contains(s, secret) || !strings.Contains(s, "REDACTED") {
			t.Errorf("%s output %s; want the secret REDACTED", what, s)
		}
	}
	me, err := f.newClient(t, ac.Credentials()).Users.Me(bounded(t))
	if err != nil || me.ID != f.user.ID {
		t.Errorf("Users.Me() as the new client = %v, %v; want the same user", me, err)
	}
}

func TestDataAPI(t *testing.T) {
	f := setup(t)
	c := f.newClient(t, f.password())
	req, err := c.NewRequest(bounded(t), http.MethodPost, oauthtest.EchoPath+"?dataset=GRIDMET", map[string]int{"n": 1})
	if err != nil {
		t.Fatal(err)
	}
	var echo struct {
		UserID string              `json:"user_id"`
		Query  map[string][]string `json:"query"`
		Body   map[string]int      `json:"body"`
	}
	if _, err := c.Do(req, &echo); err != nil {
		t.Fatalf("Do() = %v", err)
	}
	if echo.UserID != f.user.ID || echo.Query["dataset"][0] != "GRIDMET" || echo.Body["n"] != 1 {
		t.Errorf("echo = %+v; want the user, the query and the body", echo)
	}
}

func TestUnauthorizedLogsInAgainAndReplaysOnce(t *testing.T) {
	f := setup(t)
	c := f.newClient(t, f.password())
	if _, err := c.Users.Me(bounded(t)); err != nil {
		t.Fatal(err)
	}
	f.srv.RevokeAll() // the service forgets every token
	req, _ := c.NewRequest(bounded(t), http.MethodGet, oauthtest.EchoPath, nil)
	if _, err := c.Do(req, nil); err != nil {
		t.Fatalf("Do() after revocation = %v; want a new login and a replay", err)
	}
	st := f.srv.Stats()
	if st.TokenCalls["password"] != 2 || st.Unauthorized != 1 {
		t.Errorf("Stats() = %+v; want 2 logins and a single 401", st)
	}
}

func TestTokenIsRefreshedAboutElevenMinutesIn(t *testing.T) {
	f := setup(t)
	c := f.newClient(t, f.password())
	if _, err := c.Users.Me(bounded(t)); err != nil {
		t.Fatal(err)
	}
	at, err := f.clk.AwaitTimer(bounded(t), func(time.Time) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if in := at.Sub(epoch); in < 10*time.Minute || in > 12*time.Minute {
		t.Errorf("next refresh %v after login; want about 11 minutes for a 15-minute token", in)
	}
	f.clk.Advance(at.Sub(f.clk.Now()))
	deadline := time.Now().Add(waitLimit)
	for c.Status().LastRefresh.Before(at) {
		if time.Now().After(deadline) {
			t.Fatalf("no background refresh; Status() = %+v", c.Status())
		}
		if _, err := f.clk.AwaitTimer(bounded(t), func(d time.Time) bool { return d.After(at) }); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.srv.Stats().TokenCalls["password"]; n != 2 {
		t.Errorf("logins = %d; want 2", n)
	}
	if _, err := c.Users.Me(bounded(t)); err != nil {
		t.Errorf("Users.Me() with the refreshed token = %v", err)
	}
}

func TestWrongPasswordIsReportedOnceWithoutTheSecret(t *testing.T) {
	f := setup(t)
	const wrong = "wrong-CANARY-password"
	c := f.newClient(t, climateengine.Credentials{Email: testEmail, Password: secret.New(wrong)})
	for range 3 {
		_, err := c.Users.Me(bounded(t))
		if !errors.Is(err, oauth.ErrInvalidGrant) {
			t.Fatalf("Users.Me() with a wrong password = %v; want oauth.ErrInvalidGrant", err)
		}
		if strings.Contains(err.Error(), wrong) || strings.Contains(fmt.Sprintf("%+v", err), wrong) {
			t.Errorf("error %v shows the password", err)
		}
		f.clk.Advance(time.Hour)
	}
	if n := f.srv.Stats().TokenCalls["password"]; n != 1 {
		t.Errorf("logins = %d; want exactly 1 (a refused password is not retried)", n)
	}
	if logs := f.logs.String(); strings.Contains(logs, wrong) || strings.Contains(logs, testPassword) {
		t.Errorf("logs show a password: %s", logs)
	}
}

func TestCredentialsValidation(t *testing.T) {
	tests := []struct {
		name  string
		creds climateengine.Credentials
		want  string
	}{
		{"empty", climateengine.Credentials{}, "are empty"},
		{"both", climateengine.Credentials{Email: "a", Password: secret.New("b"), ClientID: "c", ClientSecret: secret.New("d")}, "both"},
		{"no password", climateengine.Credentials{Email: "a"}, "both Email and Password"},
		{"no secret", climateengine.Credentials{ClientID: "c"}, "both ClientID and ClientSecret"},
		{"private key", climateengine.Credentials{ClientID: "c", ClientSecret: secret.New("d"), Method: oauth.PrivateKeyJWT}, "not one the service accepts"},
		{"method with password", climateengine.Credentials{Email: "a", Password: secret.New("b"), Method: oauth.ClientSecretPost}, "API clients only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := climateengine.NewClient(context.Background(), tt.creds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClient(%v) = %v; want an error containing %q", tt.creds, err, tt.want)
			}
		})
	}
	creds := climateengine.Credentials{ClientID: "c", ClientSecret: secret.New("the-CANARY-secret")}
	if _, err := climateengine.NewClient(context.Background(), creds, climateengine.WithAuthURL("not a url")); err == nil {
		t.Error("NewClient with a bad auth URL = nil error")
	}
}
