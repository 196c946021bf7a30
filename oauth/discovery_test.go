package oauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
)

// rfc8414Example is the metadata of RFC 8414 3.2's example response, with
// {base} standing for the server's URL and {issuer} for its issuer.
const rfc8414Example = `{
 "issuer": "{issuer}",
 "authorization_endpoint": "{base}/authorize",
 "token_endpoint": "{base}/token",
 "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
 "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
 "userinfo_endpoint": "{base}/userinfo",
 "jwks_uri": "{base}/jwks.json",
 "registration_endpoint": "{base}/register",
 "scopes_supported": ["openid", "profile", "email", "address", "phone", "offline_access"],
 "response_types_supported": ["code", "code token"],
 "service_documentation": "http://server.example.com/service_documentation.html",
 "ui_locales_supported": ["en-US", "en-GB", "en-CA", "fr-FR", "fr-CA"]
}`

// metadataServer serves one metadata document at one path, as a server
// answers GET on its well-known URL (RFC 8414 3.2): 200 with
// application/json; every other path is 404. It records the paths asked.
type metadataServer struct {
	*httptest.Server
	mu    sync.Mutex // guards paths
	paths []string
}

func newMetadataServer(t *testing.T, path string, doc func(base string) string) *metadataServer {
	t.Helper()
	m := &metadataServer{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		m.paths = append(m.paths, r.URL.EscapedPath())
		m.mu.Unlock()
		if r.Method != http.MethodGet || r.URL.EscapedPath() != path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(doc(m.URL)))
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *metadataServer) asked() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.paths...)
}

// example returns RFC 8414's example served for issuer base+issuerPath.
func example(issuerPath string) func(base string) string {
	return func(base string) string {
		return strings.NewReplacer("{base}", base, "{issuer}", base+issuerPath).Replace(rfc8414Example)
	}
}

func TestDiscoverInsertsTheWellKnownPathBeforeTheIssuerPath(t *testing.T) {
	// RFC 8414 3.1: https://example.com/issuer1 is described at
	// https://example.com/.well-known/oauth-authorization-server/issuer1.
	m := newMetadataServer(t, "/.well-known/oauth-authorization-server/tenant/a%2Fb", example("/tenant/a%2Fb"))
	md, err := oauth.Discover(bounded(t), m.URL+"/tenant/a%2Fb", oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover() = %v", err)
	}
	if md.Issuer != m.URL+"/tenant/a%2Fb" || md.TokenEndpoint != m.URL+"/token" || md.AuthorizationEndpoint != m.URL+"/authorize" ||
		md.JWKSURI != m.URL+"/jwks.json" || len(md.TokenEndpointAuthMethodsSupported) != 2 {
		t.Errorf("Discover() = %+v; want RFC 8414's example", md)
	}
	if got := m.asked(); len(got) != 1 {
		t.Errorf("asked %q; want only the RFC 8414 URL", got)
	}
}

func TestDiscoverFallsBackToOpenIDConnect(t *testing.T) {
	// OpenID Connect Discovery 4.1: the well-known path is appended to the
	// issuer, whose final slash goes first.
	m := newMetadataServer(t, "/realms/robots/.well-known/openid-configuration", example("/realms/robots/"))
	md, err := oauth.Discover(bounded(t), m.URL+"/realms/robots/", oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover() = %v", err)
	}
	if md.Issuer != m.URL+"/realms/robots/" {
		t.Errorf("Issuer = %q", md.Issuer)
	}
	want := []string{"/.well-known/oauth-authorization-server/realms/robots", "/realms/robots/.well-known/openid-configuration"}
	if got := m.asked(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("asked %q; want %q", got, want)
	}
}

func TestDiscoverRefusesAnotherIssuer(t *testing.T) {
	tests := []struct {
		name, served, asked string
	}{
		{"another host", "https://evil.example", ""},
		{"a trailing slash more", "{base}/", ""},
		{"a trailing slash less", "{base}", "/"},
		{"no issuer", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMetadataServer(t, oauth.WellKnownOAuth, func(base string) string {
				return strings.NewReplacer("{issuer}", strings.ReplaceAll(tt.served, "{base}", base), "{base}", base).Replace(rfc8414Example)
			})
			md, err := oauth.Discover(bounded(t), m.URL+tt.asked, oauth.Settings{})
			if err == nil || !strings.Contains(err.Error(), "issuer") || md != nil {
				t.Errorf("Discover() = %+v, %v; want the metadata refused (RFC 8414 3.3)", md, err)
			}
		})
	}
}

func TestDiscoverFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
		want   string
	}{
		{"nothing there", http.StatusNotFound, "text/plain", "404 page not found", "no metadata at"},
		{"server error", http.StatusServiceUnavailable, "application/json", `{"error":"temporarily_unavailable"}`, "503"},
		{"HTML page", http.StatusOK, "text/html", "<html><title>Sign in</title></html>", "HTML page (Sign in)"},
		{"redirect", http.StatusFound, "text/html", "", "302"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ctype)
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "https://elsewhere.example/")
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer ts.Close()
			_, err := oauth.Discover(bounded(t), ts.URL, oauth.Settings{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Discover() = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	for _, issuer := range []string{"http://as.example", "https://as.example?tenant=1", "https://as.example#f", "as.example"} {
		if _, err := oauth.Discover(bounded(t), issuer, oauth.Settings{}); err == nil {
			t.Errorf("Discover(%q) = nil error; want the issuer refused before any request", issuer)
		}
	}
}

// discovered returns RFC 8414's example metadata served by ts itself.
func discovered(t *testing.T, edit func(md *oauth.Metadata)) (*oauth.Metadata, *tokenServer) {
	t.Helper()
	ts := newTokenServer(t, 200, okToken)
	md := &oauth.Metadata{Issuer: ts.URL, TokenEndpoint: ts.URL + "/token", AuthorizationEndpoint: ts.URL + "/authorize",
		RevocationEndpoint:                         ts.URL + "/revoke",
		TokenEndpointAuthMethodsSupported:          []string{"client_secret_basic", "private_key_jwt"},
		TokenEndpointAuthSigningAlgValuesSupported: []string{"RS256", "ES256"},
		ResponseTypesSupported:                     []string{"code", "code token"}}
	if edit != nil {
		edit(md)
	}
	return md, ts
}

func TestMetadataFillsTheEndpoint(t *testing.T) {
	md, ts := discovered(t, nil)
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: basicAuth()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Token(bounded(t)); err != nil {
		t.Fatal(err)
	}
	if r := ts.requests(); len(r) != 1 {
		t.Fatalf("requests = %d", len(r))
	}
	// An explicit URL wins over the metadata's.
	cc, _ = oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, TokenURL: ts.URL + "/other", Client: basicAuth()})
	if _, err := cc.Token(bounded(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: &oauth.Metadata{Issuer: "https://as.example"}, Client: basicAuth()}); err == nil ||
		!strings.Contains(err.Error(), "TokenURL is required: the metadata of https://as.example has no token_endpoint") {
		t.Errorf("metadata without a token endpoint: %v", err)
	}
	md.TokenEndpoint = "http://as.example/token"
	if _, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: basicAuth()}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("metadata with a plain http token endpoint: %v; want it refused", err)
	}
}

func TestMetadataChecksTheConfiguration(t *testing.T) {
	rsaAuth := oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "svc", Key: secret.NewSigner(testkeys.RSA())}
	tests := []struct {
		name   string
		edit   func(md *oauth.Metadata)
		client oauth.ClientAuth
		want   string
	}{
		{"method not offered", nil, oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "a", Secret: secret.New("s")},
			"takes client authentication [client_secret_basic private_key_jwt] at its token endpoint, not client_secret_post: set Client.Method to one of those"},
		{"grant not offered", func(md *oauth.Metadata) { md.GrantTypesSupported = []string{"authorization_code", "refresh_token"} }, basicAuth(),
			"does not offer the client_credentials grant (grant_types_supported: [authorization_code refresh_token])"},
		{"alg not offered: PS256 advised", func(md *oauth.Metadata) { md.TokenEndpointAuthSigningAlgValuesSupported = []string{"PS256", "ES256"} }, rsaAuth,
			"signed with [PS256 ES256] at its token endpoint, not RS256: set Client.Algorithm to PS256"},
		{"EdDSA not offered", nil, oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "svc", Key: secret.NewSigner(testkeys.Ed25519())},
			"not EdDSA: sign with a key of a type it takes"},
		{"hostile list is cleaned", func(md *oauth.Metadata) { md.TokenEndpointAuthMethodsSupported = []string{"a\x1b[31mred"} }, basicAuth(),
			"takes client authentication [a [31mred]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md, _ := discovered(t, tt.edit)
			_, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: tt.client})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClientCredentials = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	md, _ := discovered(t, func(md *oauth.Metadata) { md.TokenEndpointAuthSigningAlgValuesSupported = []string{"PS256"} })
	rsaAuth.Algorithm = "PS256"
	if _, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: rsaAuth}); err != nil {
		t.Errorf("PS256 where the server takes it: %v", err)
	}
}

func TestRevocationTakesItsEndpointsFromMetadata(t *testing.T) {
	md, ts := discovered(t, nil)
	auth := oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "svc", Key: secret.NewSigner(testkeys.ECP256())}
	r := newRevoker(t, oauth.RevocationConfig{Metadata: md, Client: auth})
	if err := r.Revoke(bounded(t), "at-value", oauth.HintAccessToken); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	// No TokenURL given: the assertion's audience is the discovered token
	// endpoint, and the request went to the discovered revocation endpoint.
	checkAssertion(t, ts.last(t), "ES256", &testkeys.ECP256().PublicKey, "svc", ts.URL+"/token")
	md.RevocationEndpointAuthMethodsSupported = []string{"client_secret_basic"}
	if _, err := oauth.NewRevoker(oauth.RevocationConfig{Metadata: md, Client: auth}); err == nil || !strings.Contains(err.Error(), "at its revocation endpoint") {
		t.Errorf("NewRevoker with a method the revocation endpoint does not take = %v", err)
	}
	md.RevocationEndpoint = ""
	if _, err := oauth.NewRevoker(oauth.RevocationConfig{Metadata: md, Client: auth}); err == nil || !strings.Contains(err.Error(), "no revocation_endpoint") {
		t.Errorf("NewRevoker without a revocation endpoint = %v", err)
	}
}

func TestDiscoverErrorIsAnOAuthError(t *testing.T) {
	ts := newTokenServer(t, http.StatusServiceUnavailable, `{"error":"temporarily_unavailable"}`)
	_, err := oauth.Discover(bounded(t), ts.URL, oauth.Settings{})
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.StatusCode != 503 || oe.Permanent() {
		t.Errorf("Discover() = %v; want a transient *oauth.Error 503", err)
	}
}
