package oauthtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/bearer-go/bearer/oauth/oauthtest"
	"golang.org/x/oauth2"
)

// noRedirects stops at the authorization endpoint's redirect, as a test
// that reads the Location header needs.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

const loopback = "http://127.0.0.1:5555/callback"

// authorize sends an authorization request with an S256 challenge for
// verifier and returns the redirect's query.
func (f *fixture) authorize(t *testing.T, clientID, redirect, verifier string) url.Values {
	t.Helper()
	q := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect}, "state": {"st-1"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	resp, err := noRedirects.Get(f.auth.URL + oauthtest.AuthorizePath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET authorize = %d; want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Host != "127.0.0.1:5555" || loc.Path != "/callback" {
		t.Fatalf("authorize redirected to %q; want the loopback redirect URI", resp.Header.Get("Location"))
	}
	return loc.Query()
}

type refreshAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func decodeRefresh(t *testing.T, a answer) refreshAnswer {
	t.Helper()
	var r refreshAnswer
	if a.status != http.StatusOK || json.Unmarshal(a.body, &r) != nil || r.AccessToken == "" || r.RefreshToken == "" {
		t.Fatalf("token answer = %d %s; want 200 with access and refresh tokens", a.status, a.body)
	}
	return r
}

func TestAuthorizationCodeWithPKCEAndRotation(t *testing.T) {
	f := setup(t)
	verifier := oauth2.GenerateVerifier()
	q := f.authorize(t, f.client.ClientID, loopback, verifier)
	if q.Get("state") != "st-1" || q.Get("code") == "" {
		t.Fatalf("redirect query = %v; want state st-1 and a code", q)
	}
	exchange := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {loopback},
		"code_verifier": {verifier}, "client_id": {f.client.ClientID}}
	tok := decodeRefresh(t, postForm(t, f.auth.URL, exchange, nil))
	if me := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok.AccessToken, nil); me.status != http.StatusOK {
		t.Errorf("users/me with the code's token = %d", me.status)
	}
	wantError(t, postForm(t, f.auth.URL, exchange, nil), 400, "error", "invalid_grant") // single use

	refresh := func(rt string) answer {
		return postForm(t, f.auth.URL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}},
			basic(f.client.ClientID, f.client.ClientSecret.Reveal()))
	}
	next := decodeRefresh(t, refresh(tok.RefreshToken))
	if next.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not rotate the refresh token")
	}
	wantError(t, refresh(tok.RefreshToken), 400, "error", "invalid_grant")  // reuse
	wantError(t, refresh(next.RefreshToken), 400, "error", "invalid_grant") // family revoked
	if st := f.srv.Stats(); st.TokenCalls["authorization_code"] != 2 || st.TokenCalls["refresh_token"] != 3 {
		t.Errorf("Stats().TokenCalls = %v; want 2 authorization_code and 3 refresh_token", st.TokenCalls)
	}
}

func TestAuthorizationCodeRejects(t *testing.T) {
	f := setup(t)
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name   string
		mutate func(url.Values)
	}{
		{"wrong verifier", func(v url.Values) { v.Set("code_verifier", oauth2.GenerateVerifier()) }},
		{"other redirect_uri", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:5556/callback") }},
		{"missing verifier", func(v url.Values) { v.Del("code_verifier") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := f.authorize(t, f.client.ClientID, loopback, verifier)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {loopback},
				"code_verifier": {verifier}, "client_id": {f.client.ClientID}}
			tt.mutate(form)
			wantError(t, postForm(t, f.auth.URL, form, nil), 400, "error", "invalid_grant")
		})
	}
}

func TestAuthorizeRefusesAndDenies(t *testing.T) {
	f := setup(t)
	for _, redirect := range []string{"https://evil.example/cb", "http://localhost:5555/cb", "http://10.0.0.1/cb"} {
		q := url.Values{"response_type": {"code"}, "client_id": {f.client.ClientID}, "redirect_uri": {redirect},
			"code_challenge": {oauth2.S256ChallengeFromVerifier("v")}, "code_challenge_method": {"S256"}}
		resp, err := noRedirects.Get(f.auth.URL + oauthtest.AuthorizePath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("authorize with redirect_uri %s = %d; want 400 without a redirect", redirect, resp.StatusCode)
		}
	}
	f.srv.DenyAuthorizations("access_denied", "the user said no")
	q := f.authorize(t, f.client.ClientID, loopback, oauth2.GenerateVerifier())
	if q.Get("error") != "access_denied" || q.Get("error_description") != "the user said no" || q.Get("code") != "" || q.Get("state") != "st-1" {
		t.Errorf("denied redirect query = %v; want error=access_denied with its description and state", q)
	}
}
