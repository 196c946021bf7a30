package oidcprovider_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/bearer-go/bearer/internal/testkeys"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	jose "github.com/go-jose/go-jose/v3"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

// waitLimit bounds every wait of a test: the server start, a request, a
// login. oidc-provider answers in milliseconds; a minute covers a loaded
// two-core machine without hanging a broken run forever.
const waitLimit = time.Minute

// TestMain fails the package if a goroutine outlives its test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The registered clients. The secrets are long enough for HS256 (RFC 7518
// 3.2), which oidc-provider checks for client_secret_jwt.
const (
	basicClient  = "cc-basic"
	postClient   = "cc-post"
	keyClient    = "cc-private-key-jwt"
	jwtClient    = "cc-client-secret-jwt"
	nativeClient = "native-app"
	deviceClient = "device-app"
	apiClient    = "resource-server" // introspects and revokes
	algsClient   = "cc-every-algorithm"
	webClient    = "web-app" // a confidential web application: private_key_jwt
	webRedirect  = "http://127.0.0.1:5000/receiveCode"
	// confidentialDevice is a device app that authenticates with
	// private_key_jwt, at the device authorization endpoint too.
	confidentialDevice = "device-confidential"

	basicSecret = "basic-secret-7f3a9c2e51d84b6a90e1c3f5a7b9d2e4"
	postSecret  = "post-secret-1e2d3c4b5a69788796a5b4c3d2e1f0aa"
	jwtSecret   = "hs256-secret-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
	apiSecret   = "api-secret-a1b2c3d4e5f60718293a4b5c6d7e8f90"

	// oddClient and oddSecret hold the characters RFC 6749 2.3.1 has a
	// client form-encode before Basic authentication.
	oddClient = "odd client:id/+%~"
	oddSecret = "odd+secret%20:with/spaces and ~ 0123456789abcdef"
)

// serverKey is the key the server signs ID tokens and JWT access tokens
// with, generated here once: Node's generateKeyPairSync for RSA hung now
// and then (about one start in 200, seen here), and a server that never
// starts fails a test for no fault of the SDK's.
var serverKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return key
})

// serverConfig is what server.mjs reads.
type serverConfig struct {
	SigningKey       json.RawMessage   `json:"signingKey"` // the server's private JWK, set by writeConfig
	Clients          []map[string]any  `json:"clients"`
	DPoPRequireNonce bool              `json:"dpopRequireNonce"`
	DefaultRotation  bool              `json:"defaultRotation,omitempty"` // oidc-provider's rotation policy; else every refresh rotates
	MountPath        string            `json:"mountPath,omitempty"`       // the issuer's path; empty for none
	RequirePAR       bool              `json:"requirePAR,omitempty"`      // authorization requests must be pushed (RFC 9126)
	TLS              map[string]string `json:"tls,omitempty"`             // cert and key: PEM files

}

// clients registers one client per authentication method and flow.
func clients(t *testing.T) []map[string]any {
	key := testkeys.RSA()
	cc := func(id, method string) map[string]any {
		return map[string]any{"client_id": id, "token_endpoint_auth_method": method,
			"grant_types": []string{"client_credentials"}, "response_types": []string{}, "redirect_uris": []string{}, "scope": "read"}
	}
	basic, post, keyJWT, secretJWT := cc(basicClient, "client_secret_basic"), cc(postClient, "client_secret_post"), cc(keyClient, "private_key_jwt"), cc(jwtClient, "client_secret_jwt")
	basic["client_secret"], post["client_secret"], secretJWT["client_secret"] = basicSecret, postSecret, jwtSecret
	keyJWT["jwks"] = map[string]any{"keys": []any{jwk(t, &key.PublicKey, "", "RS256")}}
	algs := cc(algsClient, "private_key_jwt")
	algs["jwks"] = map[string]any{"keys": algKeys(t)}
	odd := cc(oddClient, "client_secret_basic")
	odd["client_secret"] = oddSecret
	api := cc(apiClient, "client_secret_basic")
	api["client_secret"] = apiSecret
	return []map[string]any{basic, post, keyJWT, secretJWT, api, algs, odd,
		{"client_id": nativeClient, "application_type": "native", "token_endpoint_auth_method": "none",
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
			"redirect_uris": []string{"http://127.0.0.1/callback"}, "scope": "openid offline_access read"},
		{"client_id": webClient, "application_type": "web", "token_endpoint_auth_method": "private_key_jwt",
			"jwks":        map[string]any{"keys": []any{jwk(t, &key.PublicKey, "", "RS256")}},
			"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
			"redirect_uris": []string{webRedirect}, "scope": "openid offline_access read"},
		{"client_id": confidentialDevice, "application_type": "native", "token_endpoint_auth_method": "private_key_jwt",
			"jwks":           map[string]any{"keys": []any{jwk(t, &key.PublicKey, "", "RS256")}},
			"grant_types":    []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
			"response_types": []string{}, "redirect_uris": []string{}, "scope": "openid offline_access read"},
		{"client_id": deviceClient, "application_type": "native", "token_endpoint_auth_method": "none",
			"grant_types":    []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
			"response_types": []string{}, "redirect_uris": []string{}, "scope": "openid offline_access read"},
	}
}

// algKeys are the public keys of algsClient: the RSA key for RS256 and
// PS256, the EC key for ES256, the Ed25519 key for EdDSA, each named.
func algKeys(t *testing.T) []any {
	rk, ek := testkeys.RSA(), testkeys.ECP256()
	return []any{jwk(t, &rk.PublicKey, "rs256", "RS256"), jwk(t, &rk.PublicKey, "ps256", "PS256"),
		jwk(t, &ek.PublicKey, "es256", "ES256"), jwk(t, testkeys.Ed25519().Public(), "eddsa", "")}
}

// jwk is the JWK of key (RFC 7517), a public key or a private one, named
// kid, for alg when alg is set, with the certificates of its x5c.
func jwk(t *testing.T, key any, kid, alg string, certs ...*x509.Certificate) json.RawMessage {
	t.Helper()
	b, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig", Certificates: certs}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// minNodeMajor is the oldest Node.js oidc-provider 9 runs on.
const minNodeMajor = 20

var (
	nodeOnce sync.Once
	nodePath string
	nodeWhy  string // why the tests cannot run node, or empty
)

// nodeCommand returns the path of a node that can run oidc-provider, or
// why there is none.
func nodeCommand() (string, string) {
	nodeOnce.Do(func() {
		path, err := exec.LookPath("node")
		if err != nil {
			nodeWhy = "node is not installed: install Node.js 20 or later (Debian: apt-get install nodejs npm) to run the oidc-provider tests"
			return
		}
		out, err := exec.Command(path, "-p", "process.versions.node.split('.')[0]").Output()
		major, convErr := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil || convErr != nil || major < minNodeMajor {
			nodeWhy = fmt.Sprintf("node %s is older than %d, which oidc-provider 9 needs: the oidc-provider tests need a newer Node.js", strings.TrimSpace(string(out)), minNodeMajor)
			return
		}
		nodePath = path
	})
	return nodePath, nodeWhy
}

// server is one running oidc-provider process.
type server struct {
	issuer  string
	stderr  *bytes.Buffer // written by the process: read only after it ended
	drained chan struct{} // closed when the process's stdout is read to its end
}

// startServer runs `node server.mjs` with cfg on a port the system picks,
// waits for its ready line, and stops that process (by its pid) when the
// test ends. It skips the test when node or node_modules is missing.
func startServer(t *testing.T, cfg serverConfig) *server {
	t.Helper()
	node, why := nodeCommand()
	if why != "" {
		t.Skip(why)
	}
	if _, err := os.Stat(filepath.Join("node_modules", "oidc-provider")); err != nil {
		t.Skip("oidc-provider is not installed: run `npm ci` in internal/interop/oidcprovider to run these tests")
	}
	path := writeConfig(t, cfg)
	cmd := exec.Command(node, "server.mjs", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{stderr: &bytes.Buffer{}, drained: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, cmd, stdin, s) })
	s.issuer, err = readyLine(stdout, s.drained)
	if err != nil {
		t.Fatalf("%v; the process: %s", err, processState(cmd.Process.Pid))
	}
	return s
}

// writeConfig writes cfg for server.mjs, with the clients of clients()
// when it has none, and returns the file's path.
func writeConfig(t *testing.T, cfg serverConfig) string {
	t.Helper()
	if cfg.Clients == nil {
		cfg.Clients = clients(t)
	}
	cfg.SigningKey = jwk(t, serverKey(), "server", "RS256")
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// processState says what the process pid is doing, from Linux's /proc
// (its state and the kernel function it waits in), to tell a server that
// hangs from one that is slow; "unknown" elsewhere.
func processState(pid int) string {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unknown"
	}
	wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
	for line := range strings.Lines(string(status)) {
		if state, ok := strings.CutPrefix(line, "State:"); ok {
			return fmt.Sprintf("%s, waiting in %q", strings.TrimSpace(state), wchan)
		}
	}
	return "unknown"
}

// readyLine reads the server's stdout until its "ready <issuer>" line,
// within waitLimit, then drains the rest in the background until the
// process closes it, and then closes drained.
func readyLine(stdout io.Reader, drained chan<- struct{}) (string, error) {
	lines := make(chan string, 1)
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if issuer, ok := strings.CutPrefix(sc.Text(), "ready "); ok {
				lines <- issuer
			}
		}
		close(lines)
	}()
	select {
	case issuer, ok := <-lines:
		if !ok {
			return "", errors.New("server.mjs ended without its ready line (see its stderr below)")
		}
		return issuer, nil
	case <-time.After(waitLimit):
		return "", fmt.Errorf("server.mjs printed no ready line within %v", waitLimit)
	}
}

// stop ends the server's process by its pid, and shows its stderr when
// the test failed.
func stop(t *testing.T, cmd *exec.Cmd, stdin io.Closer, s *server) {
	_ = stdin.Close()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	<-s.drained
	if t.Failed() {
		t.Logf("server.mjs stderr:\n%s", s.stderr)
	}
}

func (s *server) url(path string) string { return s.issuer + path }

// bounded returns a context that ends after waitLimit or with the test.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// logs is a debug logger into a buffer, to check that nothing the SDK logs
// holds a secret.
type logs struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// noSecret fails the test if text holds one of the secrets, or one of
// their halves (a secret cut in two still leaks).
func noSecret(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		for _, part := range []string{s, s[:len(s)/2], s[len(s)/2:]} {
			if strings.Contains(text, part) {
				t.Errorf("%s holds a secret (%d characters of it): %q", what, len(part), text)
			}
		}
	}
}

// describe renders err every way a program might print or encode it,
// down its chain of wrapped errors.
func describe(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		j, _ := json.Marshal(e)
		fmt.Fprintf(&b, "%s\n%+v\n%#v\n%q\n%s\n", e.Error(), e, e, e, j)
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		fmt.Fprintf(&b, "%s %s %s %s %s\n", oe.Endpoint, oe.Code, oe.Description, oe.URI, oe.Body)
	}
	return b.String()
}

// shape tells which parts a token has, without their values, for a
// failure message: a test's output shows no secret either.
func shape(tok *oauth2.Token) string {
	if tok == nil {
		return "no token"
	}
	scope, _ := oauth.Scope(tok)
	return fmt.Sprintf("{type %q, access token %v, refresh token %v, ID token %v, scope %q, expiry %v}",
		tok.Type(), tok.AccessToken != "", tok.RefreshToken != "", oauth.IDToken(tok) != "", scope, tok.Expiry)
}

// clientToken asks for one client credentials token with cfg, which must
// be a valid configuration.
func clientToken(t *testing.T, cfg oauth.ClientCredentialsConfig) (*oauth2.Token, error) {
	t.Helper()
	cc, err := oauth.NewClientCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cc.Token(bounded(t))
}
