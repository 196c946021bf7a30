package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// bearer login signs a person in with the authorization code flow
// (here the fake approves at once, and the test plays the browser), saves
// the token to the store, and a serve that was waiting for it, having no
// token, takes it up: bearer token then prints a token the API accepts.
func TestLoginHandsTheTokenToServe(t *testing.T) {
	auth, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	user := auth.AddUser("person@example.com", "password-of-the-person")
	client, err := auth.AddClient(oauthtest.Client{UserID: user.ID, ClientID: "native-app"})
	if err != nil {
		t.Fatal(err)
	}
	authSrv := httptest.NewServer(auth)
	t.Cleanup(authSrv.Close)
	apiSrv := httptest.NewServer(auth.APIHandler())
	t.Cleanup(apiSrv.Close)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bearer.toml")
	writeSecret(t, cfg, fmt.Sprintf(`[server]
socket = %q

[tokens.person]
source = "authcode"
auth_url = %q
token_url = %q
client_id = %q
store = %q
upstream = %q
`, filepath.Join(dir, "s.sock"), authSrv.URL+oauthtest.AuthorizePath, authSrv.URL+oauthtest.TokenPath, client.ClientID,
		filepath.Join(dir, "person.json"), apiSrv.URL))
	env := []string{"BEARER_CONFIG=" + cfg}
	serve := start(t, env, "serve")
	serve.waitLog(`msg="serving on a Unix socket"`)
	if _, _, err := runBearer(t, env, "status"); err == nil {
		t.Error("bearer status before the login = ok; want an error: the token is not there yet")
	}

	login := start(t, env, "login", "-no-browser", "person")
	line := login.waitLog(`^\s+https?://`)
	resp, err := http.Get(strings.TrimSpace(line)) // the browser: approve, follow the redirect to bearer login
	if err != nil {
		t.Fatalf("the browser: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := login.wait(); err != nil {
		t.Fatalf("bearer login = %v; the page said %q; logs:\n%s", err, page, login.logs.String())
	}
	serve.waitLog(`msg="token refreshed" token=person`)

	stdout, _, err := runBearer(t, env, "token", "person")
	if err != nil {
		t.Fatalf("bearer token person: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, apiSrv.URL+oauthtest.EchoPath, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(stdout))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the API with the token from bearer token = %v, %v; want 200", resp, err)
	}
	resp.Body.Close()
	if out, _, err := runBearer(t, env, "status"); err != nil || !strings.Contains(out, "person") {
		t.Errorf("bearer status after the login = %v:\n%s", err, out)
	}
	if err := serve.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	for _, logs := range []string{serve.logs.String(), login.logs.String()} {
		if strings.Contains(logs, strings.TrimSpace(stdout)) {
			t.Error("the token appears in the logs")
		}
	}
}
