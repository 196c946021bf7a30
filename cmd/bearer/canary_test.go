package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/cmd/bearer/internal/server"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// canary returns a secret no output may hold.
func canary(kind string) string {
	var b [8]byte
	rand.Read(b[:])
	return "canary-" + kind + "-" + hex.EncodeToString(b[:])
}

// hostileTokenEndpoint answers every token request 401 invalid_client,
// echoing the credentials it was sent: the request body and the
// Authorization header.
func hostileTokenEndpoint(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"refused %s with %s"}`, body, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// recorder is an upstream that keeps the headers of what it is sent.
type recorder struct {
	mu      sync.Mutex // guards headers
	headers []http.Header
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.headers = append(rec.headers, r.Header.Clone())
	rec.mu.Unlock()
	io.WriteString(w, "{}")
}

// No secret of the configuration, no token value and no caller's
// credential appears in any output of any command (stdout, stderr, logs,
// the answers of /healthz, /metrics and errors), except the token that
// bearer token prints, nor goes upstream through the proxy.
func TestNoSecretInAnyOutput(t *testing.T) {
	secrets := map[string]string{"client secret": canary("client"), "password": canary("password"),
		"hostile secret": canary("hostile"), "caller's token": canary("caller")}
	forms := func(s string) []string {
		return []string{s, base64.StdEncoding.EncodeToString([]byte("x:" + s))}
	}
	e := newC2(t)
	auth, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	user := auth.AddUser("ops@example.com", secrets["password"])
	client, err := auth.AddClient(oauthtest.Client{UserID: user.ID, ClientSecret: secret.New(secrets["client secret"])})
	if err != nil {
		t.Fatal(err)
	}
	authSrv := httptest.NewServer(auth)
	t.Cleanup(authSrv.Close)
	apiSrv := httptest.NewServer(auth.APIHandler())
	t.Cleanup(apiSrv.Close)
	rec := &recorder{}
	upstream := httptest.NewServer(rec)
	t.Cleanup(upstream.Close)
	hostileFile := writeSecret(t, filepath.Join(e.dir, "hostile"), secrets["hostile secret"])
	keyFile := filepath.Join(e.dir, "key")

	cfg := e.config(t, fmt.Sprintf("listen = \"127.0.0.1:0\"\nkey_file = %q\nsocket = %q", keyFile, filepath.Join(e.dir, "s.sock")),
		fmt.Sprintf("store = %q", filepath.Join(e.dir, "c2.json")),
		"[tokens.ce]", `source = "climateengine"`, fmt.Sprintf("auth_url = %q\napi_url = %q", authSrv.URL, apiSrv.URL),
		`email = "ops@example.com"`, `password_env = "CANARY_PASSWORD"`,
		"[tokens.cc]", `source = "client_credentials"`, fmt.Sprintf("token_url = %q", authSrv.URL+climateenginetest.TokenPath),
		fmt.Sprintf("client_id = %q\nclient_secret = %q", client.ClientID, secrets["client secret"]), `auth_method = "client_secret_post"`,
		fmt.Sprintf("upstream = %q", upstream.URL),
		"[tokens.hostile]", `source = "client_credentials"`, fmt.Sprintf("token_url = %q", hostileTokenEndpoint(t)),
		`client_id = "x"`, fmt.Sprintf("client_secret_file = %q", hostileFile), `auth_method = "client_secret_basic"`)
	env := []string{"CANARY_PASSWORD=" + secrets["password"], "BEARER_CONFIG=" + cfg}
	p := start(t, env, "serve")
	base := "http://" + p.listenAddr()
	p.waitLog(`msg="token refreshed" token=cc`)

	var outputs []string
	tokens := map[string]string{}
	runAll := func(cmds ...[]string) {
		for _, args := range cmds {
			stdout, stderr, err := runBearer(t, env, args...)
			t.Logf("bearer %s: %v: %s", strings.Join(args, " "), err, firstLine(stderr))
			outputs = append(outputs, "bearer "+strings.Join(args, " ")+" (stderr): "+stderr)
			if args[0] == "token" && err == nil {
				tokens[args[1]+" "+fmt.Sprint(len(tokens))] = strings.TrimSpace(stdout)
				continue
			}
			outputs = append(outputs, "bearer "+strings.Join(args, " ")+" (stdout): "+stdout)
		}
	}
	runAll([]string{"token", "c2"}, []string{"token", "cc"}, []string{"token", "ce"}, []string{"token", "hostile"}, []string{"status"},
		[]string{"revoke", "c2"}, []string{"revoke", "cc"}, []string{"login", "cc"}, []string{"token", "nope"})
	if len(tokens) != 3 {
		t.Errorf("bearer token printed tokens for %d of c2, cc, ce; want 3", len(tokens))
	}
	ccToken := tokens["cc 1"]
	key := strings.TrimSpace(readFile(t, keyFile))
	for _, path := range []string{"/healthz", "/metrics", "/v1/tokens/nope", "/v1/tokens/hostile", "/hostile/x", "/cc/data?q=1"} {
		outputs = append(outputs, path+": "+get(t, base+path, key, secrets["caller's token"]))
	}
	if err := p.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	outputs = append(outputs, "serve's logs: "+p.logs.String())
	// With no serve, bearer token runs the sources itself.
	runAll([]string{"token", "cc"}, []string{"token", "c2"}, []string{"token", "hostile"}, []string{"status"})
	if len(tokens) != 5 {
		t.Errorf("with no serve, bearer token printed tokens for %d of cc, c2; want 2", len(tokens)-3)
	}

	for _, h := range rec.headers {
		if got := h.Get("Authorization"); got != "Bearer "+ccToken {
			t.Errorf("upstream got Authorization %q; want the cc token", got)
		}
		if h.Get(server.KeyHeader) != "" {
			t.Errorf("upstream got the key header")
		}
	}
	if len(rec.headers) == 0 {
		t.Error("the proxy sent nothing upstream")
	}
	for _, out := range outputs {
		for what, s := range secrets {
			for _, f := range forms(s) {
				if strings.Contains(out, f) {
					t.Errorf("the %s appears in %s", what, firstLine(out))
				}
			}
		}
		for name, tok := range tokens {
			if strings.Contains(out, tok) {
				t.Errorf("the %s token appears in %s", name, firstLine(out))
			}
		}
		e.noTokenIn(t, firstLine(out), out)
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// get sends GET url with the key and a caller's own Authorization, and
// returns the status and body.
func get(t *testing.T, url, key, callerToken string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctxFor(t), http.MethodGet, url, nil)
	req.Header.Set(server.KeyHeader, key)
	req.Header.Set("Authorization", "Bearer "+callerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(body)
}

// runBearer runs the command with args and env, and returns its stdout,
// stderr and how it ended.
func runBearer(t *testing.T, env []string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctxFor(t), binary(t), args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
