package login_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

func TestSessionConfigValidate(t *testing.T) {
	good := session002(alice, alicePW)
	tests := []struct {
		name   string
		change func(*login.SessionConfig)
		want   string
	}{
		{"no path", func(c *login.SessionConfig) { c.Login.Path = "" }, "Login.Path is required"},
		{"no password", func(c *login.SessionConfig) { c.Credentials.Password = secret.String{} }, "needs a Username and a Password"},
		{"bad encoding", func(c *login.SessionConfig) { c.Login.Encoding = "xml" }, "use login.Form or login.JSON"},
		{"same fields", func(c *login.SessionConfig) { c.Login.PasswordField = "username" }, "both \"username\""},
		{"field clash", func(c *login.SessionConfig) { c.Login.Fields = map[string]string{"password": "x"} }, "must not set \"password\""},
		{"user in path", func(c *login.SessionConfig) { c.Login.Path = "https://u:p@api.example.com/login" }, "must not carry a user name"},
		{"status", func(c *login.SessionConfig) { c.ReloginStatuses = []int{200} }, "only error statuses"},
		{"GET login", func(c *login.SessionConfig) { c.Login.Method = http.MethodGet }, "no body for the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			c, err := login.NewSessionClient("https://api.example.com", cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewSessionClient = %v, %v; want an error containing %q", c, err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), alicePW) {
				t.Errorf("error %q holds the password", err)
			}
		})
	}
}

func TestOptionsRefuseBadInput(t *testing.T) {
	for name, opt := range map[string]login.Option{
		"Jar must be nil":                         login.WithHTTPClient(&http.Client{Jar: &fakeJar{}}),
		"WithLogger(nil)":                         login.WithLogger(nil),
		"WithClock(nil)":                          login.WithClock(nil),
		"WithHTTPClient(nil)":                     login.WithHTTPClient(nil),
		"must not include bearer.WithTokenSource": login.WithBearerOptions(bearer.WithTokenSource(bearer.StaticToken("x"))),
	} {
		c, err := login.NewSessionClient("https://api.example.com", session002(alice, alicePW), opt)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("NewSessionClient with a bad option = %v, %v; want an error containing %q", c, err, name)
		}
	}
}

func TestSessionRefusesPlainHTTP(t *testing.T) {
	cfg := session002(alice, alicePW)
	if _, err := login.NewSessionClient("http://api.example.com", cfg); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("NewSessionClient(http://api.example.com) error = %v; want a refusal", err)
	}
	c, err := login.NewSessionClient("http://api.example.com", cfg, login.WithBearerOptions(bearer.WithInsecureHTTP()))
	if err != nil {
		t.Errorf("NewSessionClient(http://..., WithInsecureHTTP) = %v; want it allowed", err)
	} else {
		c.Close()
	}
}

func TestSessionLoginPathOnAnotherHost(t *testing.T) {
	cfg := session002(alice, alicePW)
	cfg.Login.Path = "https://evil.example.com/login"
	c, err := login.NewSessionClient("https://api.example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Login(testContext(t))
	if err == nil || !strings.Contains(err.Error(), "is not on https://api.example.com") {
		t.Errorf("Login with a login path on another host = %v; want a refusal", err)
	}
	if err != nil && strings.Contains(err.Error(), alicePW) {
		t.Errorf("error %q holds the password", err)
	}
}

func TestTokenConfigValidate(t *testing.T) {
	good := seed004(lukeEmail, lukePW)
	tests := []struct {
		name   string
		change func(*login.TokenConfig)
		want   string
	}{
		{"half credentials", func(c *login.TokenConfig) { c.Credentials.Password = secret.String{} }, "both a Username and a Password"},
		{"no login path", func(c *login.TokenConfig) { c.Login.Path = "" }, "Login.Path is required"},
		{"nothing to start from", func(c *login.TokenConfig) { c.Credentials = login.Credentials{} }, "Login is set but Credentials are not"},
		{"no tokens", func(c *login.TokenConfig) { c.Credentials = login.Credentials{}; c.Login = login.Request{} }, "needs Credentials to log in"},
		{"refresh func", func(c *login.TokenConfig) {
			c.Refresher.Refresh = func(_ context.Context, t *oauth2.Token) (*oauth2.Token, error) { return nil, nil }
		}, "Refresher.Refresh must be nil"},
		{"lifetime", func(c *login.TokenConfig) { c.DefaultLifetime = -time.Second }, "DefaultLifetime"},
		{"token kind", func(c *login.TokenConfig) { c.Refresh.Token = "id" }, "Refresh.Token is \"id\""},
		{"encoding", func(c *login.TokenConfig) { c.Logout.Encoding = "xml" }, "Logout.Encoding"},
		{"fields", func(c *login.TokenConfig) { c.AccessTokenFields = []string{} }, "AccessTokenFields must name"},
		{"body on GET", func(c *login.TokenConfig) { c.Refresh.Encoding = login.JSON }, "which a GET request has not"},
		{"token query kind", func(c *login.TokenConfig) { c.Refresh.TokenQuery = map[string]login.TokenKind{"old": "id"} }, "TokenQuery[\"old\"] is \"id\""},
		{"query twice", func(c *login.TokenConfig) { c.Refresh.Query = map[string]string{"old_access_token": "x"} }, "Query and TokenQuery both set"},
		{"secret query", func(c *login.TokenConfig) { c.Logout.Query = map[string]string{"api_key": "k"} }, "Logout.Query[\"api_key\"] looks secret"},
		{"fields without body", func(c *login.TokenConfig) { c.Logout.Fields = map[string]string{"all": "yes"} }, "Logout.Fields need a body"},
		{"field of the token", func(c *login.TokenConfig) {
			c.Refresh.Method, c.Refresh.Encoding, c.Refresh.Field = http.MethodPost, login.Form, "rt"
			c.Refresh.Fields = map[string]string{"rt": "x"}
		}, "it is the token's field"},
		{"authorization header", func(c *login.TokenConfig) { c.Refresh.Header = map[string]string{"authorization": "Basic x"} }, "must not set Authorization"},
		{"secret header", func(c *login.TokenConfig) { c.Refresh.Header = map[string]string{"X-Client-Secret": "x"} }, "looks secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			c, err := login.NewTokenClient(testContext(t), "https://127.0.0.1:1", cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewTokenClient = %v, %v; want an error containing %q", c, err, tt.want)
				if c != nil {
					c.Close()
				}
			}
		})
	}
}

func TestTokenRefusesPlainHTTP(t *testing.T) {
	c, err := login.NewTokenClient(testContext(t), "http://api.example.com", seed004(lukeEmail, lukePW))
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("NewTokenClient(http://api.example.com) = %v, %v; want a refusal before any login", c, err)
		if c != nil {
			c.Close()
		}
	}
}

func TestRequestRefusesSecretInFields(t *testing.T) {
	cfg := session002("u", "pw-value-1")
	cfg.Login.Fields = map[string]string{"client_id": "app-1", "client_secret": "s3cr3t-value"}
	c, err := login.NewSessionClient("https://api.example.com", cfg)
	if err == nil || !strings.Contains(err.Error(), "SecretFields") || strings.Contains(err.Error(), "s3cr3t-value") {
		t.Errorf("NewSessionClient(client_secret in Fields) = %v, %v; want a refusal that points to SecretFields", c, err)
	}
}
