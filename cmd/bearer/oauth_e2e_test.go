package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// shortLifetime is the lifetime of the fake's access tokens in these
// tests: serve refreshes a token a quarter of its lifetime before it
// expires, so a refresh comes about three seconds after each token.
const shortLifetime = 4 * time.Second

// authEnv is a fake OAuth server (oauthtest) and its API, served on
// loopback by the test process, with a public client.
type authEnv struct {
	fake     *oauthtest.Server
	auth     *httptest.Server
	api      *httptest.Server
	clientID string
	dir      string
}

func newAuth(t *testing.T) *authEnv {
	t.Helper()
	fake, err := oauthtest.New(oauthtest.Config{TokenLifetime: shortLifetime, ExpiryMargin: -1})
	if err != nil {
		t.Fatal(err)
	}
	user := fake.AddUser("person@example.com", "password-of-the-person")
	client, err := fake.AddClient(oauthtest.Client{UserID: user.ID, ClientID: "native-app"})
	if err != nil {
		t.Fatal(err)
	}
	a := &authEnv{fake: fake, auth: httptest.NewServer(fake), api: httptest.NewServer(fake.APIHandler()), clientID: client.ClientID, dir: t.TempDir()}
	t.Cleanup(a.auth.Close)
	t.Cleanup(a.api.Close)
	return a
}

// config writes a configuration that serves on loopback TCP with a key
// and keeps the token name from the given source lines; it returns the
// environment that names it and the key file.
func (a *authEnv) config(t *testing.T, name string, lines ...string) (env []string, keyFile string) {
	t.Helper()
	keyFile = filepath.Join(a.dir, "key")
	body := fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\nkey_file = %q\n\n[tokens.%s]\ntoken_url = %q\nclient_id = %q\nupstream = %q\nstore = %q\n%s\n",
		keyFile, name, a.auth.URL+oauthtest.TokenPath, a.clientID, a.api.URL, filepath.Join(a.dir, name+".json"), strings.Join(lines, "\n"))
	return []string{"BEARER_CONFIG=" + writeSecret(t, filepath.Join(a.dir, "bearer.toml"), body)}, keyFile
}

// callAPI calls the fake's API with the token bearer token prints, and
// returns the token.
func (a *authEnv) callAPI(t *testing.T, env []string, name string) string {
	t.Helper()
	stdout, stderr, err := runBearer(t, env, "token", name)
	if err != nil {
		t.Fatalf("bearer token %s: %v: %s", name, err, stderr)
	}
	tok := strings.TrimSpace(stdout)
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodGet, a.api.URL+oauthtest.EchoPath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the API with the token of bearer token %s = %v, %v; want 200", name, resp, err)
	}
	resp.Body.Close()
	return tok
}

// metric returns the value of one sample of /metrics, or "".
func metric(t *testing.T, base, key, sample string) string {
	t.Helper()
	body := get(t, base+"/metrics", key, "")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// bearer login runs the device flow (RFC 8628) for a device source: it
// prints where to go and the code to enter, and once the person approves
// (the test plays them, with the code it read), saves the token. A serve
// that had no token (and said to run bearer login) takes it up, refreshes
// it with its refresh token, and hands out tokens the API accepts.
func TestDeviceLoginHandsTheTokenToServe(t *testing.T) {
	a := newAuth(t)
	env, keyFile := a.config(t, "dev", `source = "device"`,
		fmt.Sprintf("device_authorization_url = %q", a.auth.URL+oauthtest.DeviceAuthorizationPath))
	serve := start(t, env, "serve")
	base := "http://" + serve.listenAddr()
	serve.waitLog(`the token dev is lost: .*sign in with: bearer login dev`)
	key := strings.TrimSpace(readFile(t, keyFile))
	if got := get(t, base+"/healthz", key, ""); !strings.HasPrefix(got, "503 ") {
		t.Errorf("/healthz before the login = %s; want 503", firstLine(got))
	}

	login := start(t, env, "login", "dev")
	login.waitLog(`^\s+https://\S+/device$`)
	code := strings.TrimSpace(login.waitLog(`^\s+[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$`))
	if err := a.fake.ApproveDevice(code); err != nil {
		t.Fatalf("approving %q, the code bearer login printed: %v", code, err)
	}
	if err := login.wait(); err != nil {
		t.Fatalf("bearer login = %v; logs:\n%s", err, login.logs.String())
	}
	login.waitLog(`^Signed in: the token of dev is saved`)

	serve.waitLog(`msg="token refreshed" token=dev refreshes=1`) // the login's token, adopted
	serve.waitLog(`msg="token refreshed" token=dev refreshes=2`) // refreshed with its refresh token
	tok := a.callAPI(t, env, "dev")
	for sample, want := range map[string]string{
		`bearer_token_adoptions_total{token="dev"}`:                 "1",
		`bearer_token_failures_total{token="dev",kind="permanent"}`: "1", // no token before the login
		`bearer_token_lost{token="dev"}`:                            "0",
	} {
		if got := metric(t, base, key, sample); got != want {
			t.Errorf("%s = %q; want %s", sample, got, want)
		}
	}
	if got := metric(t, base, key, `bearer_token_refreshes_total{token="dev"}`); got == "" || got == "0" {
		t.Errorf("bearer_token_refreshes_total = %q; want at least 1", got)
	}
	if got := get(t, base+"/healthz", key, ""); !strings.HasPrefix(got, "200 ") {
		t.Errorf("/healthz after the login = %s; want 200", firstLine(got))
	}
	if err := serve.stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	for _, logs := range []string{serve.logs.String(), login.logs.String()} {
		if strings.Contains(logs, tok) {
			t.Error("the token appears in the logs")
		}
	}
}

// A refresh_token source: serve trades the configured refresh token,
// saves each rotated one, and refreshes again with it (the fake revokes
// the whole family if a used refresh token comes back); after a
// restart, it resumes from the store, although the configured refresh
// token is long spent. No attempt fails.
func TestRefreshTokenSourceResumesAcrossRestarts(t *testing.T) {
	a := newAuth(t)
	refreshToken := a.refreshToken(t)
	env, keyFile := a.config(t, "rt", `source = "refresh_token"`,
		fmt.Sprintf("refresh_token_file = %q", writeSecret(t, filepath.Join(a.dir, "refresh-token"), refreshToken)))
	for run := 1; run <= 2; run++ {
		serve := start(t, env, "serve")
		base := "http://" + serve.listenAddr()
		serve.waitLog(`msg="token refreshed" token=rt refreshes=2`)
		key := strings.TrimSpace(readFile(t, keyFile))
		tok := a.callAPI(t, env, "rt")
		for _, kind := range []string{"permanent", "in_doubt", "temporary"} {
			sample := fmt.Sprintf(`bearer_token_failures_total{token="rt",kind=%q}`, kind)
			if got := metric(t, base, key, sample); got != "0" {
				t.Errorf("run %d: %s = %q; want 0", run, sample, got)
			}
		}
		if got := metric(t, base, key, `bearer_token_refreshes_total{token="rt"}`); got == "" || got == "0" || got == "1" {
			t.Errorf("run %d: bearer_token_refreshes_total = %q; want at least 2", run, got)
		}
		if err := serve.stop(); err != nil {
			t.Errorf("run %d: serve: %v", run, err)
		}
		if logs := serve.logs.String(); strings.Contains(logs, tok) || strings.Contains(logs, refreshToken) {
			t.Errorf("run %d: a token appears in the logs", run)
		}
	}
}

// refreshToken signs the test's person in with the authorization code
// flow, in the test process, and returns the refresh token.
func (a *authEnv) refreshToken(t *testing.T) string {
	t.Helper()
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: a.auth.URL + oauthtest.AuthorizePath, TokenURL: a.auth.URL + oauthtest.TokenPath,
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: a.clientID},
		OpenBrowser: func(ctx context.Context, u string) error { // the browser: approved at once, redirected to the flow
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := flow.Login(ctxFor(t))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("Login() = %v, %v; want a token with a refresh token", tok, err)
	}
	return tok.RefreshToken
}
