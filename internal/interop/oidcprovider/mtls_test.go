package oidcprovider_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/boundtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// The clients of the mutual TLS tests (RFC 8705).
const (
	selfSignedClient = "mtls-self-signed" // self_signed_tls_client_auth
	boundClient      = "mtls-bound"       // client_secret_basic, certificate-bound tokens
	boundDevice      = "mtls-device"      // a public device app, certificate-bound tokens
	boundSecret      = "bound-secret-5d4c3b2a19087f6e5d4c3b2a19087f6e"
)

// tlsSetup is the server's certificate and the client's, self-signed.
type tlsSetup struct {
	serverPEM []byte
	client    tls.Certificate
}

// newTLSSetup writes the server's certificate and key for server.mjs
// into dir, and makes the client's.
func newTLSSetup(t *testing.T, dir string) (*tlsSetup, map[string]string) {
	t.Helper()
	serverPEM, serverKeyPEM := serverCertificate(t)
	paths := map[string]string{"cert": filepath.Join(dir, "server.pem"), "key": filepath.Join(dir, "server-key.pem")}
	if err := os.WriteFile(paths["cert"], serverPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths["key"], serverKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return &tlsSetup{serverPEM: serverPEM, client: boundtest.SelfSigned(t, "bearer interop client")}, paths
}

// serverCertificate makes a self-signed P-256 certificate for 127.0.0.1,
// valid for an hour, and its key, in PEM.
func serverCertificate(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "bearer interop server"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// mtlsClients registers the mutual TLS clients, and the resource server.
func (ts *tlsSetup) mtlsClients(t *testing.T) []map[string]any {
	clientJWK := jwk(t, ts.client.Leaf.PublicKey, "", "", ts.client.Leaf)
	return []map[string]any{
		{"client_id": selfSignedClient, "token_endpoint_auth_method": "self_signed_tls_client_auth", "jwks": map[string]any{"keys": []any{clientJWK}},
			"tls_client_certificate_bound_access_tokens": true,
			"grant_types": []string{"client_credentials"}, "response_types": []string{}, "redirect_uris": []string{}, "scope": "read"},
		{"client_id": boundClient, "client_secret": boundSecret, "token_endpoint_auth_method": "client_secret_basic",
			"tls_client_certificate_bound_access_tokens": true,
			"grant_types": []string{"client_credentials"}, "response_types": []string{}, "redirect_uris": []string{}, "scope": "read"},
		{"client_id": boundDevice, "application_type": "native", "token_endpoint_auth_method": "none", "tls_client_certificate_bound_access_tokens": true,
			"grant_types":    []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
			"response_types": []string{}, "redirect_uris": []string{}, "scope": "openid offline_access read"},
		{"client_id": apiClient, "client_secret": apiSecret, "token_endpoint_auth_method": "client_secret_basic",
			"grant_types": []string{"client_credentials"}, "response_types": []string{}, "redirect_uris": []string{}, "scope": "read"},
	}
}

// trusting is an HTTP client that trusts the server's certificate.
func (ts *tlsSetup) trusting() *http.Client {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ts.serverPEM)
	return &http.Client{Timeout: waitLimit, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
}

func (ts *tlsSetup) thumbprint() string {
	sum := sha256.Sum256(ts.client.Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func startTLSServer(t *testing.T) (*server, *tlsSetup) {
	t.Helper()
	ts, paths := newTLSSetup(t, t.TempDir())
	return startServer(t, serverConfig{Clients: ts.mtlsClients(t), TLS: paths}), ts
}

// TestMutualTLSClientCredentials authenticates with a self-signed
// certificate, and with a secret while presenting a certificate: both
// tokens are bound to the certificate (RFC 8705 3).
func TestMutualTLSClientCredentials(t *testing.T) {
	s, ts := startTLSServer(t)
	cert := secret.New(&ts.client)
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{HTTPClient: ts.trusting()})
	if err != nil {
		t.Fatal(err)
	}
	if !md.TLSClientCertificateBoundAccessTokens {
		t.Error("Discover() says the server binds no token to certificates")
	}
	for name, auth := range map[string]oauth.ClientAuth{
		"self_signed_tls_client_auth":    {Method: oauth.SelfSignedTLSClientAuth, ID: selfSignedClient, Certificate: cert},
		"client_secret_basic, certified": {Method: oauth.ClientSecretBasic, ID: boundClient, Secret: secret.New(boundSecret), Certificate: cert},
	} {
		t.Run(name, func(t *testing.T) {
			tok, err := clientToken(t, oauth.ClientCredentialsConfig{Metadata: md, Client: auth, Scopes: []string{"read"},
				Settings: oauth.Settings{HTTPClient: ts.trusting()}})
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{Metadata: md, Settings: oauth.Settings{HTTPClient: ts.trusting()},
				Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: apiClient, Secret: secret.New(apiSecret)}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := in.Introspect(bounded(t), tok.AccessToken, oauth.HintAccessToken)
			if err != nil {
				t.Fatalf("Introspect() = %v", err)
			}
			if cnf, _ := got.Extra["cnf"].(map[string]any); !got.Active || cnf["x5t#S256"] != ts.thumbprint() {
				t.Errorf("Introspect() = active %v, cnf %v; want an active token bound to the client's certificate %s", got.Active, got.Extra["cnf"], ts.thumbprint())
			}
		})
	}
}

// TestMutualTLSBoundTokenAtUserinfo gets a certificate-bound token with
// the device grant and uses it at the userinfo endpoint, which takes it
// only from a client that presents the certificate.
func TestMutualTLSBoundTokenAtUserinfo(t *testing.T) {
	s, ts := startTLSServer(t)
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{HTTPClient: ts.trusting()})
	if err != nil {
		t.Fatal(err)
	}
	var log logs
	clk := fakeclock.New(clockStart())
	user := newBrowser("")
	user.client.Transport = ts.trusting().Transport
	dev, err := oauth.NewDevice(oauth.DeviceConfig{Metadata: md, Scopes: []string{"openid", "offline_access", "read"}, Clock: clk,
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: boundDevice, Certificate: secret.New(&ts.client)},
		Prompt: func(ctx context.Context, a *oauth.DeviceAuthorization) error {
			return user.open(ctx, a.VerificationURIComplete)
		},
		Settings: oauth.Settings{HTTPClient: ts.trusting(), Logger: log.logger()}})
	if err != nil {
		t.Fatal(err)
	}
	run := deviceRefresher(t, dev, clk, &log)
	api, err := bearer.NewClient(s.issuer, bearer.WithTokenSource(run.r), bearer.WithTrustedPEM(ts.serverPEM),
		bearer.WithClientCertificate(secret.New(&ts.client)), bearer.WithLogger(log.logger()))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	userinfo(t, api)
	tok, err := run.r.Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(bounded(t), http.MethodGet, s.url("/me"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := ts.trusting().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with the bound token and no certificate = %d; want 401", resp.StatusCode)
	}
	next := rotate(t, run.r, clk, run.rotated)
	if next.AccessToken == tok.AccessToken {
		t.Fatal("the refresh returned the same access token")
	}
	userinfo(t, api)
	noSecret(t, "the log", log.String(), tok.AccessToken, tok.RefreshToken, next.AccessToken, next.RefreshToken)
}

// TestMutualTLSBoundJWTIsCheckedBeforeSending gets a JWT access token for
// the API (RFC 9068), bound to the client's certificate by its
// cnf.x5t#S256: a bearer.Client that would present another certificate,
// or none, refuses to send it, at once: retrying cannot help.
func TestMutualTLSBoundJWTIsCheckedBeforeSending(t *testing.T) {
	s, ts := startTLSServer(t)
	tok, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Scopes: []string{"read"},
		Params: url.Values{"resource": {apiResource}}, Settings: oauth.Settings{HTTPClient: ts.trusting()},
		Client: oauth.ClientAuth{Method: oauth.SelfSignedTLSClientAuth, ID: selfSignedClient, Certificate: secret.New(&ts.client)}})
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	other := boundtest.SelfSigned(t, "another client")
	for name, opts := range map[string][]bearer.Option{
		"another certificate": {bearer.WithClientCertificate(secret.New(&other))},
		"no certificate":      nil,
	} {
		t.Run(name, func(t *testing.T) {
			var attempts atomic.Int64 // each attempt asks for the token
			src := bearer.TokenSourceFunc(func(context.Context) (*oauth2.Token, error) {
				attempts.Add(1)
				return tok, nil
			})
			api, err := bearer.NewClient(s.issuer, append(opts, bearer.WithTrustedPEM(ts.serverPEM), bearer.WithTokenSource(src))...)
			if err != nil {
				t.Fatal(err)
			}
			defer api.Close()
			err = api.Get(bounded(t), "/me", nil)
			if err == nil || !strings.Contains(err.Error(), "certificate") || attempts.Load() != 1 {
				t.Errorf("Get() = %v after %d attempts; want it refused before sending, at once, naming the certificate", err, attempts.Load())
			}
			noSecret(t, "the error", describe(err), tok.AccessToken)
		})
	}
}
