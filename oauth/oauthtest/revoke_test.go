package oauthtest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// revokeForm posts form to the revocation endpoint.
func revokeForm(t *testing.T, f *fixture, form url.Values, mod func(*http.Request)) answer {
	t.Helper()
	req := formRequest(t, f.auth.URL+oauthtest.RevokePath, form)
	if mod != nil {
		mod(req)
	}
	return do(t, req)
}

// grantOf gets an access token and its refresh token for the fixture's
// client, from a refresh token the server issued.
func (f *fixture) grantOf(t *testing.T) (access, refresh string) {
	t.Helper()
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	a := postForm(t, f.auth.URL, refreshForm(rt), basic(f.client.ClientID, f.client.ClientSecret.Reveal()))
	m := a.json(t)
	access, _ = m["access_token"].(string)
	refresh, _ = m["refresh_token"].(string)
	if a.status != http.StatusOK || access == "" || refresh == "" {
		t.Fatalf("refresh = %d %s; want an access and a refresh token", a.status, a.body)
	}
	return access, refresh
}

func TestRevokeARefreshTokenRevokesItsGrant(t *testing.T) {
	f := setup(t)
	access, refresh := f.grantOf(t)
	other, _ := f.grantOf(t)
	a := revokeForm(t, f, url.Values{"token": {refresh}, "token_type_hint": {"refresh_token"}}, basic(f.client.ClientID, f.client.ClientSecret.Reveal()))
	if a.status != http.StatusOK || len(a.body) != 0 || a.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("revoke = %d %q, Cache-Control %q; want 200, empty, no-store (RFC 7009 2.2)", a.status, a.body, a.header.Get("Cache-Control"))
	}
	if f.srv.Active(refresh) || f.srv.Active(access) {
		t.Errorf("after revoking the refresh token: Active(refresh) %v, Active(its access token) %v; want both false (RFC 7009 2.1)",
			f.srv.Active(refresh), f.srv.Active(access))
	}
	if got := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, access, nil); got.status != http.StatusUnauthorized {
		t.Errorf("API call with the revoked grant's access token = %d; want 401", got.status)
	}
	if !f.srv.Active(other) || f.srv.Stats().Revocations != 1 {
		t.Errorf("another grant's access token active %v, Revocations %d; want true, 1", f.srv.Active(other), f.srv.Stats().Revocations)
	}
}

func TestRevokeAnAccessToken(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	// The hint is only a hint: a wrong one does not stop the revocation.
	a := revokeForm(t, f, url.Values{"token": {tok}, "token_type_hint": {"refresh_token"}, "client_id": {f.client.ClientID},
		"client_secret": {f.client.ClientSecret.Reveal()}}, nil)
	if a.status != http.StatusOK {
		t.Fatalf("revoke = %d %s; want 200", a.status, a.body)
	}
	if got := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil); got.status != http.StatusUnauthorized {
		t.Errorf("API call with the revoked access token = %d; want 401", got.status)
	}
}

func TestRevokeRefusals(t *testing.T) {
	f := setup(t)
	_, refresh := f.grantOf(t)
	other, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID, ClientSecret: secret.New("other-secret")})
	if err != nil {
		t.Fatal(err)
	}
	mine := basic(f.client.ClientID, f.client.ClientSecret.Reveal())
	tests := []struct {
		name   string
		form   url.Values
		auth   func(*http.Request)
		status int
		code   string
	}{
		{"unknown token", url.Values{"token": {"no-such-token"}}, mine, 200, ""},
		{"no token", url.Values{}, mine, 400, "invalid_request"},
		{"token twice", url.Values{"token": {"a", "b"}}, mine, 400, "invalid_request"},
		{"wrong secret", url.Values{"token": {refresh}}, basic(f.client.ClientID, "wrong"), 401, "invalid_client"},
		{"another client's token", url.Values{"token": {refresh}}, basic(other.ClientID, "other-secret"), 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := revokeForm(t, f, tt.form, tt.auth)
			if tt.code == "" {
				if a.status != tt.status {
					t.Errorf("revoke = %d %s; want %d", a.status, a.body, tt.status)
				}
				return
			}
			wantError(t, a, tt.status, "error", tt.code)
		})
	}
	if !f.srv.Active(refresh) || f.srv.Stats().Revocations != 0 {
		t.Errorf("after refused revocations: Active %v, Revocations %d; want true, 0", f.srv.Active(refresh), f.srv.Stats().Revocations)
	}
}
