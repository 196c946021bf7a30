package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

// A login API that answers tokens (seed 004) is served like any other
// source: serve logs in with the password from a file, and a caller
// reaches its films through the proxy without handling a token; bearer
// revoke then logs out, and the API refuses the token.
func TestLoginTokenSource(t *testing.T) {
	// Three-second tokens, so that serve refreshes one through seed
	// 004's generate_tokens, which wants the old access token named in
	// its query (refresh_token_query).
	api, err := jwtapitest.New(jwtapitest.WithAccessTTL(3 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	const email, password = "ops@example.com", "Passw0rd-of-ops"
	if _, err := api.AddUser(email, password, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	cfg := filepath.Join(dir, "bearer.toml")
	writeSecret(t, cfg, fmt.Sprintf(`[server]
listen = "127.0.0.1:0"
key_file = %q

[tokens.films]
source = "login_token"
base_url = %q
login_path = %q
username = %q
username_field = "email"
password_file = %q
refresh_path = %q
refresh_method = "GET"
refresh_token_query = { old_access_token = "access" }
logout_path = %q
logout_method = "GET"
store = %q
`, keyFile, srv.URL, jwtapitest.PathLogin, email, writeSecret(t, filepath.Join(dir, "password"), password),
		jwtapitest.PathGenerateTokens, jwtapitest.PathLogout, filepath.Join(dir, "films.json")))
	env := []string{"BEARER_CONFIG=" + cfg}
	p := start(t, env, "serve")
	base := "http://" + p.listenAddr()
	p.waitLog(`msg="token refreshed" token=films`)
	key := strings.TrimSpace(readFile(t, keyFile))

	if got := get(t, base+"/films"+jwtapitest.PathFilms, key, "callers-own"); !strings.HasPrefix(got, "200 ") {
		t.Fatalf("GET /films%s through the proxy = %s; want 200", jwtapitest.PathFilms, got)
	}
	p.waitLog(`msg="login: token refreshed"`)
	if st := api.Stats(); st.Refreshes < 1 || st.Logins != 1 {
		t.Errorf("the API's Stats() = %+v; want a refresh through generate_tokens and one login", st)
	}
	token, _, err := runBearer(t, env, "token", "films")
	if err != nil {
		t.Fatalf("bearer token films: %v", err)
	}
	if err := p.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	if _, stderr, err := runBearer(t, env, "revoke", "films"); err != nil {
		t.Fatalf("bearer revoke films: %v: %s", err, stderr)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+jwtapitest.PathFilms, nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the API after bearer revoke = %d %s; want 401: the token is logged out", resp.StatusCode, body)
	}
	if strings.Contains(p.logs.String(), password) || strings.Contains(p.logs.String(), strings.TrimSpace(token)) {
		t.Error("serve's logs hold the password or the token")
	}
}
