package oauth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// rfc7662Example is the response of RFC 7662 2.2's example.
const rfc7662Example = `{
 "active": true,
 "client_id": "l238j323ds-23ij4",
 "username": "jdoe",
 "scope": "read write dolphin",
 "sub": "Z5O3upPC88QrAjx00dis",
 "aud": "https://protected.example.net/resource",
 "iss": "https://server.example.com/",
 "exp": 1419356238,
 "iat": 1419350238,
 "extension_field": "twenty-seven"
}`

func introspector(t *testing.T, cfg oauth.IntrospectionConfig) *oauth.Introspector {
	t.Helper()
	cfg.Now = fixedNow
	i, err := oauth.NewIntrospector(cfg)
	if err != nil {
		t.Fatalf("NewIntrospector: %v", err)
	}
	return i
}

func TestIntrospectReadsRFC7662sExample(t *testing.T) {
	ts := newTokenServer(t, 200, rfc7662Example)
	i := introspector(t, oauth.IntrospectionConfig{IntrospectionURL: ts.URL + "/introspect", Client: basicAuth()})
	got, err := i.Introspect(bounded(t), "mF_9.B5f-4.1JqM", oauth.HintAccessToken)
	if err != nil {
		t.Fatalf("Introspect() = %v", err)
	}
	if !got.Active || got.ClientID != "l238j323ds-23ij4" || got.Username != "jdoe" || strings.Join(got.Scope, ",") != "read,write,dolphin" ||
		got.Subject != "Z5O3upPC88QrAjx00dis" || len(got.Audience) != 1 || got.Audience[0] != "https://protected.example.net/resource" ||
		got.Issuer != "https://server.example.com/" || !got.Expiry.Equal(time.Unix(1419356238, 0)) || !got.IssuedAt.Equal(time.Unix(1419350238, 0)) ||
		got.Extra["extension_field"] != "twenty-seven" {
		t.Errorf("Introspect() = %+v; want RFC 7662 2.2's example, field by field", got)
	}
	r := ts.last(t)
	if r.method != "POST" || r.form.Get("token") != "mF_9.B5f-4.1JqM" || r.form.Get("token_type_hint") != "access_token" ||
		!strings.HasPrefix(r.header.Get("Authorization"), "Basic ") {
		t.Errorf("request = %s %v; want RFC 7662 2.1's POST with the client's credentials", r.method, r.form)
	}
}

func TestIntrospectAnswerShapes(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, in *oauth.Introspection, err error)
	}{
		{"inactive", `{"active":false}`, func(t *testing.T, in *oauth.Introspection, err error) {
			if err != nil || in.Active {
				t.Errorf("= %+v, %v; want inactive, no error", in, err)
			}
		}},
		{"aud list, times as strings", `{"active":true,"aud":["a","b"],"exp":"1419356238.5","nbf":1419350000}`, func(t *testing.T, in *oauth.Introspection, err error) {
			if err != nil || len(in.Audience) != 2 || !in.Expiry.Equal(time.Unix(1419356238, 5e8)) || !in.NotBefore.Equal(time.Unix(1419350000, 0)) {
				t.Errorf("= %+v, %v", in, err)
			}
		}},
		{"odd types read as absent", `{"active":true,"scope":7,"exp":"soon","aud":{"x":1}}`, func(t *testing.T, in *oauth.Introspection, err error) {
			if err != nil || !in.Expiry.IsZero() || in.Audience != nil {
				t.Errorf("= %+v, %v", in, err)
			}
		}},
		{"no active field", `{"sub":"x"}`, func(t *testing.T, _ *oauth.Introspection, err error) {
			if err == nil || !strings.Contains(err.Error(), "active") {
				t.Errorf("err = %v; want the missing active field named", err)
			}
		}},
		{"active as a string", `{"active":"true"}`, func(t *testing.T, _ *oauth.Introspection, err error) {
			if err == nil {
				t.Error("a string active was believed")
			}
		}},
		{"HTML", `<html><title>Login</title></html>`, func(t *testing.T, _ *oauth.Introspection, err error) {
			if err == nil || !strings.Contains(err.Error(), "HTML page (Login)") {
				t.Errorf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 200, tt.body)
			in, err := introspector(t, oauth.IntrospectionConfig{IntrospectionURL: ts.URL, Client: basicAuth()}).Introspect(bounded(t), "tok", "")
			tt.check(t, in, err)
		})
	}
}

func TestIntrospectAgainstFakeauth(t *testing.T) {
	f := setupFake(t, fixedNow)
	access := loginToken(t, f)
	client := oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: f.client.ClientID, Secret: f.client.ClientSecret}
	i := introspector(t, oauth.IntrospectionConfig{IntrospectionURL: f.auth.URL + oauthtest.IntrospectPath, TokenURL: f.tokenURL(), Client: client})
	got, err := i.Introspect(bounded(t), access, oauth.HintAccessToken)
	if err != nil || !got.Active || got.Subject != f.user.ID || got.Username != testEmail || got.TokenType != "Bearer" || got.Expiry.IsZero() {
		t.Fatalf("Introspect(live) = %+v, %v; want active, for the user", got, err)
	}
	f.srv.RevokeAll()
	if got, err := i.Introspect(bounded(t), access, ""); err != nil || got.Active {
		t.Errorf("Introspect(revoked) = %+v, %v; want inactive", got, err)
	}
	bad := introspector(t, oauth.IntrospectionConfig{IntrospectionURL: f.auth.URL + oauthtest.IntrospectPath,
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: f.client.ClientID, Secret: secret.New("wrong")}})
	_, err = bad.Introspect(bounded(t), access, "")
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.StatusCode != 401 || !errors.Is(err, oauth.ErrInvalidClient) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Introspect() with a wrong secret = %v; want a permanent 401 invalid_client (RFC 7662 2.3)", err)
	}
	if strings.Contains(describeError(err), access) {
		t.Error("the error quotes the token")
	}
}

func TestIntrospectionConfig(t *testing.T) {
	md := &oauth.Metadata{Issuer: "https://as.example", TokenEndpoint: "https://as.example/token", IntrospectionEndpoint: "https://as.example/introspect",
		IntrospectionEndpointAuthMethodsSupported: []string{"client_secret_basic"}}
	tests := []struct {
		name string
		cfg  oauth.IntrospectionConfig
		want string
	}{
		{"no client", oauth.IntrospectionConfig{IntrospectionURL: "https://as/i"}, "Client is required"},
		{"public client", oauth.IntrospectionConfig{IntrospectionURL: "https://as/i", Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "a"}}, "AuthNone cannot be used"},
		{"assertion without audience", oauth.IntrospectionConfig{IntrospectionURL: "https://as/i",
			Client: oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: "a", Secret: secret.New("s")}}, "needs TokenURL"},
		{"method the endpoint does not take", oauth.IntrospectionConfig{Metadata: md,
			Client: oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "a", Secret: secret.New("s")}}, "at its introspection endpoint, not client_secret_post"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oauth.NewIntrospector(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewIntrospector = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := oauth.NewIntrospector(oauth.IntrospectionConfig{Metadata: md, Client: basicAuth()}); err != nil {
		t.Errorf("NewIntrospector from metadata = %v", err)
	}
	if _, err := introspector(t, oauth.IntrospectionConfig{IntrospectionURL: "https://as/i", Client: basicAuth()}).Introspect(bounded(t), "", ""); err == nil {
		t.Error("Introspect(\"\") = nil error")
	}
}

// loginToken logs the fixture's user in with the password grant.
func loginToken(t *testing.T, f *fixture) string {
	t.Helper()
	p, err := oauth.NewPassword(oauth.PasswordConfig{TokenURL: f.tokenURL(), Username: testEmail, Password: secret.New(testPassword),
		Settings: oauth.Settings{Now: fixedNow}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}
