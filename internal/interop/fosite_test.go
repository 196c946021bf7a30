package interop_test

import (
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/go-jose/go-jose/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/storage"
	fjwt "github.com/ory/fosite/token/jwt"
)

// waitLimit bounds every request and login of the tests.
const waitLimit = 20 * time.Second

// Test users and clients of the fosite server.
const (
	username = "peter"
	password = "peter-secret-pw"

	basicClient  = "basic-app"
	postClient   = "post-app"
	rsaClient    = "rsa-app"
	pssClient    = "pss-app"
	ecClient     = "ec-app"
	jwtClient    = "jwt-app"
	nativeClient = "native-app"
	webClient    = "web-app"

	// webRedirect is the web app's registered redirect URI, on a host of
	// its own (seed 003's shape).
	webRedirect = "https://app.example:5000/receiveCode"

	// basicSecret needs form-encoding before Basic (RFC 6749 2.3.1): fosite
	// decodes it, so a client that skips the step fails.
	basicSecret = "b:sic %s+cret"
	postSecret  = "post-secret-value"
	jwtSecret   = "jwt-secret-value-long-enough-for-hs256"
	rsaKeyID    = "rsa-2026"
)

// server is a fosite authorization server with in-memory storage, served
// by httptest on loopback.
type server struct {
	*httptest.Server
	provider fosite.OAuth2Provider
	store    *storage.MemoryStore

	mu       sync.Mutex // guards usedJTIs
	usedJTIs map[string]bool
}

func newServer(t *testing.T) *server {
	t.Helper()
	mux := http.NewServeMux()
	s := &server{Server: httptest.NewServer(mux), store: storage.NewMemoryStore(), usedJTIs: map[string]bool{}}
	t.Cleanup(s.Close)
	config := &fosite.Config{
		GlobalSecret:        []byte("a-global-secret-of-32-bytes-long"),
		IDTokenIssuer:       s.URL,
		TokenURL:            s.tokenURL(),
		AccessTokenLifespan: time.Hour,
		EnforcePKCE:         true,
		HashCost:            4, // bcrypt's minimum: the tests hash and compare often
		ScopeStrategy:       fosite.ExactScopeStrategy,
	}
	s.provider = compose.ComposeAllEnabled(config, s.store, testkeys.RSA())
	config.ClientAuthenticationStrategy = s.clientSecretJWT(s.provider.(*fosite.Fosite).DefaultClientAuthenticationStrategy)
	s.addClients(t, config)
	s.store.Users[username] = storage.MemoryUserRelation{Username: username, Password: password}
	mux.HandleFunc("/oauth2/token", s.token)
	mux.HandleFunc("/oauth2/auth", s.authorize)
	mux.HandleFunc("/oauth2/revoke", s.revoke)
	mux.HandleFunc("/oauth2/introspect", s.introspect)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.metadata)
	return s
}

func (s *server) tokenURL() string  { return s.URL + "/oauth2/token" }
func (s *server) authURL() string   { return s.URL + "/oauth2/auth" }
func (s *server) revokeURL() string { return s.URL + "/oauth2/revoke" }
func (s *server) introspectURL() string {
	return s.URL + "/oauth2/introspect"
}

func (s *server) addClients(t *testing.T, config *fosite.Config) {
	t.Helper()
	hash := func(secret string) []byte {
		h, err := config.GetSecretsHasher(context.Background()).Hash(context.Background(), []byte(secret))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	grants := fosite.Arguments{"client_credentials", "password", "refresh_token", "authorization_code", oauth.JWTBearerGrantType}
	scopes := fosite.Arguments{"read", "offline", "openid"}
	client := func(id string, secret []byte, method string) *fosite.DefaultOpenIDConnectClient {
		return &fosite.DefaultOpenIDConnectClient{
			DefaultClient: &fosite.DefaultClient{ID: id, Secret: secret, GrantTypes: grants, Scopes: scopes,
				ResponseTypes: fosite.Arguments{"code"}, RedirectURIs: []string{"http://127.0.0.1/callback"}},
			TokenEndpointAuthMethod: method,
		}
	}
	s.store.Clients[basicClient] = client(basicClient, hash(basicSecret), "client_secret_basic")
	s.store.Clients[postClient] = client(postClient, hash(postSecret), "client_secret_post")
	s.store.Clients[jwtClient] = client(jwtClient, nil, "client_secret_jwt")
	for id, k := range map[string]struct {
		pub      crypto.PublicKey
		alg, kid string
	}{rsaClient: {&testkeys.RSA().PublicKey, "RS256", rsaKeyID}, pssClient: {&testkeys.RSA().PublicKey, "PS256", "pss-1"}, ecClient: {&testkeys.ECP256().PublicKey, "ES256", "ec-1"}} {
		c := client(id, nil, "private_key_jwt")
		c.TokenEndpointAuthSigningAlgorithm = k.alg
		c.JSONWebKeys = &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: k.pub, KeyID: k.kid, Algorithm: k.alg, Use: "sig"}}}
		s.store.Clients[id] = c
	}
	native := client(nativeClient, nil, "none")
	native.Public = true
	s.store.Clients[nativeClient] = native
	web := client(webClient, hash(basicSecret), "client_secret_basic")
	web.RedirectURIs = []string{webRedirect}
	s.store.Clients[webClient] = web
}

// newSession is the session of every request: an OpenID Connect one, so
// that a login with the openid scope gets an ID token.
func newSession() *openid.DefaultSession {
	return &openid.DefaultSession{Subject: username, Username: username,
		Claims: &fjwt.IDTokenClaims{Subject: username}, Headers: &fjwt.Headers{}}
}

// token serves the token endpoint, granting every requested scope.
func (s *server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := s.provider.NewAccessRequest(ctx, r, newSession())
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	if !ar.GetGrantTypes().ExactOne("refresh_token") && !ar.GetGrantTypes().ExactOne("authorization_code") {
		for _, scope := range ar.GetRequestedScopes() {
			ar.GrantScope(scope)
		}
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.provider.WriteAccessError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// authorize serves the authorization endpoint: the user approves at once.
func (s *server) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := s.provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	for _, scope := range ar.GetRequestedScopes() {
		ar.GrantScope(scope)
	}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, newSession())
	if err != nil {
		s.provider.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	s.provider.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (s *server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.provider.WriteRevocationResponse(ctx, w, s.provider.NewRevocationRequest(ctx, r))
}

// introspect serves fosite's introspection endpoint (RFC 7662), which
// authenticates callers with client_secret_basic or a bearer token.
func (s *server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ir, err := s.provider.NewIntrospectionRequest(ctx, r, newSession())
	if err != nil {
		s.provider.WriteIntrospectionError(ctx, w, err)
		return
	}
	s.provider.WriteIntrospectionResponse(ctx, w, ir)
}

// metadata serves RFC 8414 metadata for the endpoints above: fosite has
// no discovery handler of its own, so the test writes what it supports.
func (s *server) metadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": s.URL, "token_endpoint": s.tokenURL(), "authorization_endpoint": s.authURL(),
		"revocation_endpoint": s.revokeURL(), "introspection_endpoint": s.introspectURL(),
		"response_types_supported":                              []string{"code"},
		"grant_types_supported":                                 []string{"authorization_code", "refresh_token", "client_credentials", "password", oauth.JWTBearerGrantType},
		"code_challenge_methods_supported":                      []string{"S256", "plain"},
		"token_endpoint_auth_methods_supported":                 []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		"token_endpoint_auth_signing_alg_values_supported":      []string{"RS256", "PS256", "ES256"},
		"introspection_endpoint_auth_methods_supported":         []string{"client_secret_basic"},
		"revocation_endpoint_auth_methods_supported":            []string{"client_secret_basic", "client_secret_post", "private_key_jwt", "none"},
		"revocation_endpoint_auth_signing_alg_values_supported": []string{"RS256", "PS256", "ES256"},
	})
}

// trust registers key as one JWT bearer assertions of issuer for subject
// may be signed with (RFC 7523 2.1), allowing scopes.
func (s *server) trust(issuer, subject, kid string, key crypto.PublicKey, scopes ...string) {
	keys := s.store.IssuerPublicKeys[issuer]
	if keys.KeysBySub == nil {
		keys = storage.IssuerPublicKeys{Issuer: issuer, KeysBySub: map[string]storage.SubjectPublicKeys{}}
	}
	sub := keys.KeysBySub[subject]
	if sub.Keys == nil {
		sub = storage.SubjectPublicKeys{Subject: subject, Keys: map[string]storage.PublicKeyScopes{}}
	}
	sub.Keys[kid] = storage.PublicKeyScopes{Key: &jose.JSONWebKey{Key: key, KeyID: kid, Use: "sig"}, Scopes: scopes}
	keys.KeysBySub[subject] = sub
	s.store.IssuerPublicKeys[issuer] = keys
}

// clientSecretJWT is the test's own client authentication for
// client_secret_jwt, which fosite refuses: it verifies the HS256
// assertion with golang-jwt (signature, iss = sub = a client with that
// secret, aud = the token endpoint, exp required, jti unused) and hands
// every other request to fosite's strategy.
func (s *server) clientSecretJWT(next fosite.ClientAuthenticationStrategy) fosite.ClientAuthenticationStrategy {
	return func(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
		assertion := form.Get("client_assertion")
		if form.Get("client_assertion_type") != oauth.JWTBearerAssertionType || !isHS256(assertion) {
			return next(ctx, r, form)
		}
		claims := &jwt.RegisteredClaims{}
		_, err := jwt.ParseWithClaims(assertion, claims, func(t *jwt.Token) (any, error) {
			if iss, _ := t.Claims.GetIssuer(); iss != jwtClient {
				return nil, fosite.ErrInvalidClient.WithHint("unknown iss")
			}
			return []byte(jwtSecret), nil
		}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.tokenURL()), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
		switch {
		case err != nil:
			return nil, fosite.ErrInvalidClient.WithHint("client_assertion: " + err.Error())
		case claims.Subject != claims.Issuer:
			return nil, fosite.ErrInvalidClient.WithHint("client_assertion: sub must equal iss")
		case claims.ID == "" || !s.useJTI(claims.ID):
			return nil, fosite.ErrJTIKnown.WithHint("client_assertion: jti missing or reused")
		case time.Until(claims.ExpiresAt.Time) > 10*time.Minute:
			return nil, fosite.ErrInvalidClient.WithHint("client_assertion: exp too far ahead")
		}
		return s.store.GetClient(ctx, claims.Issuer)
	}
}

func (s *server) useJTI(jti string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usedJTIs[jti] {
		return false
	}
	s.usedJTIs[jti] = true
	return true
}

func isHS256(assertion string) bool {
	t, _, err := jwt.NewParser().ParseUnverified(assertion, jwt.MapClaims{})
	return err == nil && t.Method == jwt.SigningMethodHS256
}

func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// followRedirects is the test's browser: it follows the authorization
// server's redirect to the loopback listener.
func followRedirects(ctx context.Context, authURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}
