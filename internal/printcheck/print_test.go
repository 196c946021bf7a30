package printcheck

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/login/jwtapitest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// canary marks every secret the samples hold; no rendering may show it.
const canary = "CANARY"

var (
	key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// keyD is the private scalar as fmt prints a big.Int.
	keyD = privateScalar(key)
)

// kind says what a sample is: a configuration (data a caller builds and
// may keep in its own structs) or a runtime value (a client, a source, a
// Refresher: it holds state that goroutines change).
type kind int

const (
	config kind = iota
	runtimeValue
)

// sample is one public type in the matrix, with a value of it full of
// canary secrets.
type sample struct {
	kind kind
	make func(t *testing.T) any
}

func tok(n string) *oauth2.Token {
	return &oauth2.Token{AccessToken: canary + "-access-" + n, RefreshToken: canary + "-refresh-" + n,
		TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

func clientAuth() oauth.ClientAuth {
	return oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: "client-id", Secret: secret.New(canary + "-client-secret")}
}

func keyAuth() oauth.ClientAuth {
	return oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "client-id", Key: secret.NewSigner(crypto.Signer(key)),
		Certificate: secret.New(&tls.Certificate{Certificate: [][]byte{[]byte(canary + "-cert")}, PrivateKey: key})}
}

func credentials() login.Credentials {
	return login.Credentials{Username: "alice", Password: secret.New(canary + "-password")}
}

func loginRequest() login.Request {
	return login.Request{Path: "/login", Fields: map[string]string{"client_id": "app"},
		SecretFields: map[string]secret.String{"client_secret": secret.New(canary + "-field")}}
}

func tokenConfig() login.TokenConfig {
	return login.TokenConfig{Login: loginRequest(), Credentials: credentials(),
		Refresh:   login.TokenRequest{Path: "/refresh"},
		Refresher: tokenrefresh.Config{Initial: secret.New(tok("login"))}}
}

func dpopConfig() oauth.DPoPConfig {
	return oauth.DPoPConfig{Key: secret.NewSigner(crypto.Signer(key))}
}

func refresherConfig() tokenrefresh.Config {
	return tokenrefresh.Config{Initial: secret.New(tok("initial")),
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return tok("next"), nil }}
}

// samples are the matrix's rows: every public type that can hold a
// secret. TestMatrixCoversEveryHolder keeps the list complete.
var samples = map[string]sample{
	"oauth.ClientAuth":              {config, func(*testing.T) any { return keyAuth() }},
	"oauth.ClientCredentialsConfig": {config, func(*testing.T) any { return ccConfig() }},
	"oauth.PasswordConfig":          {config, func(*testing.T) any { return passwordConfig() }},
	"oauth.RefreshTokenConfig":      {config, func(*testing.T) any { return refreshConfig() }},
	"oauth.AuthCodeConfig":          {config, func(*testing.T) any { return authCodeConfig() }},
	"oauth.RevocationConfig":        {config, func(*testing.T) any { return revocationConfig() }},
	"oauth.ClientCredentials":       {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewClientCredentials(ccConfig())) }},
	"oauth.Password":                {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewPassword(passwordConfig())) }},
	"oauth.RefreshToken":            {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewRefreshToken(refreshConfig())) }},
	"oauth.AuthCode":                {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewAuthCode(authCodeConfig())) }},
	"oauth.Revoker":                 {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewRevoker(revocationConfig())) }},
	"oauth.IntrospectionConfig":     {config, func(*testing.T) any { return introspectionConfig() }},
	"oauth.Introspector":            {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewIntrospector(introspectionConfig())) }},
	"oauth.JWTBearerConfig":         {config, func(*testing.T) any { return jwtBearerConfig() }},
	"oauth.JWTBearer":               {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewJWTBearer(jwtBearerConfig())) }},
	"oauth.AuthSession": {config, func(*testing.T) any {
		return oauth.AuthSession{State: "st", Verifier: secret.New(canary + "-verifier"), RedirectURI: "https://app/cb"}
	}},
	"oauth.DPoPConfig": {config, func(*testing.T) any { return dpopConfig() }},
	"oauth.DPoP":       {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewDPoP(dpopConfig())) }},
	"oauth.Settings": {config, func(t *testing.T) any {
		return oauth.Settings{DPoP: must(t)(oauth.NewDPoP(dpopConfig())).(*oauth.DPoP)}
	}},
	"oauth.DeviceConfig": {config, func(*testing.T) any { return deviceConfig() }},
	"oauth.Device":       {runtimeValue, func(t *testing.T) any { return must(t)(oauth.NewDevice(deviceConfig())) }},
	"oauth.DeviceAuthorization": {config, func(*testing.T) any {
		return oauth.DeviceAuthorization{UserCode: "WDJB-MJHT", VerificationURI: "https://as.example/device", DeviceCode: secret.New(canary + "-device-code")}
	}},

	"login.Credentials":   {config, func(*testing.T) any { return credentials() }},
	"login.Request":       {config, func(*testing.T) any { return loginRequest() }},
	"login.SessionConfig": {config, func(*testing.T) any { return login.SessionConfig{Login: loginRequest(), Credentials: credentials()} }},
	"login.TokenConfig":   {config, func(*testing.T) any { return tokenConfig() }},
	"login.Client":        {runtimeValue, newLoginClient},

	"climateengine.Credentials": {config, func(*testing.T) any {
		return climateengine.Credentials{ClientID: "id", ClientSecret: secret.New(canary + "-ce-secret")}
	}},
	"climateengine.APIClient": {config, func(*testing.T) any {
		return climateengine.APIClient{ClientID: "id", ClientSecret: secret.New(canary + "-ce-created")}
	}},
	"climateengine.Client": {runtimeValue, newClimateEngineClient},
	"climateengine.ClientsService": {runtimeValue, func(t *testing.T) any {
		return newClimateEngineClient(t).(*climateengine.Client).Clients
	}},
	"climateengine.UsersService": {runtimeValue, func(t *testing.T) any {
		return newClimateEngineClient(t).(*climateengine.Client).Users
	}},

	"tokenrefresh.Config":      {config, func(*testing.T) any { return refresherConfig() }},
	"tokenrefresh.Entry":       {config, func(*testing.T) any { return tokenrefresh.Entry{Token: secret.New(tok("entry")), Lineage: "l"} }},
	"tokenrefresh.MemoryStore": {runtimeValue, newMemoryStore},
	"tokenrefresh.Refresher":   {runtimeValue, newRefresher},

	"bearer.Transport": {config, func(*testing.T) any { return bearer.Transport{Source: bearer.StaticToken(canary + "-static")} }},
	"bearer.Client":    {runtimeValue, newBearerClient},
	"bearer.Rejection": {config, func(*testing.T) any {
		return bearer.Rejection{Token: secret.New(tok("rejected")), StatusCode: 401, Code: "invalid_token"}
	}},

	"c2.Client": {runtimeValue, newC2Client},

	"oauthtest.Client": {config, func(*testing.T) any {
		return oauthtest.Client{UserID: "u", ClientID: "c", ClientSecret: secret.New(canary + "-kit-secret")}
	}},
	"oauthtest.Server": {runtimeValue, newOAuthTestServer},
	"jwtapitest.LoginResponse": {config, func(*testing.T) any {
		return jwtapitest.LoginResponse{Email: "luke@rebels.org", Token: secret.New(canary + "-jwt-access"),
			RefreshToken: secret.New(canary + "-jwt-refresh"), UserID: 1}
	}},
	"jwtapitest.RefreshResponse": {config, func(*testing.T) any {
		return jwtapitest.RefreshResponse{Token: secret.New(canary + "-jwt-access"), RefreshToken: secret.New(canary + "-jwt-refresh"), User: 1}
	}},
	"jwtapitest.Server": {runtimeValue, func(t *testing.T) any {
		return must(t)(jwtapitest.New(jwtapitest.WithSecrets([]byte(canary+"-jwt-access-secret"), []byte(canary+"-jwt-refresh-secret"))))
	}},
}

// verbs are every fmt verb a caller might use on a value.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X"}

// TestNoRenderingShowsASecret prints every sample with every verb, through
// slog's text and JSON handlers and json.Marshal; configurations also from
// inside an unexported field of a caller's struct, by value and by
// pointer, where fmt calls none of their methods.
func TestNoRenderingShowsASecret(t *testing.T) {
	for _, name := range sortedKeys(samples) {
		s := samples[name]
		t.Run(name, func(t *testing.T) {
			v := s.make(t)
			renderings := render(v)
			if s.kind == config {
				for k, r := range render(holder{v}) {
					renderings["in an unexported field: "+k] = r
				}
				for k, r := range render(&holder{v}) {
					renderings["in an unexported field, by pointer: "+k] = r
				}
			}
			for how, out := range renderings {
				if strings.Contains(out, canary) || strings.Contains(out, keyD) {
					t.Errorf("%s: %s shows a secret: %.300s", name, how, out)
				}
			}
		})
	}
}

// holder is a caller's struct that keeps an SDK value in an unexported
// field.
type holder struct{ v any }

// render returns every rendering of v, by how it was made.
func render(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range verbs {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
	}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("m", "v", v)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "v", v)
	out["slog text"], out["slog JSON"] = text.String(), js.String()
	b, err := json.Marshal(v)
	out["json.Marshal"] = string(b) + fmt.Sprint(err)
	return out
}

// TestMatrixCoversEveryHolder reads the SDK's source for the public types
// that can hold a secret and checks the matrix has a row for each, so a
// new type cannot escape it.
func TestMatrixCoversEveryHolder(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	found := secretHolders(t, root)
	if len(found) < 10 {
		t.Fatalf("found only %d types that hold secrets (%v): the scan is broken", len(found), found)
	}
	for _, name := range found {
		if _, ok := samples[name]; !ok {
			t.Errorf("%s can hold a secret but has no row in the matrix: add a sample to samples in %s", name, filepath.Base(file))
		}
	}
	for _, name := range sortedKeys(samples) {
		if !slices.Contains(found, name) {
			t.Errorf("the matrix has a row for %s, which the scan does not find holding a secret: remove it, or teach the scan why it holds one", name)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func must(t *testing.T) func(v any, err error) any {
	return func(v any, err error) any {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ccConfig() oauth.ClientCredentialsConfig {
	return oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token", Client: keyAuth()}
}

func passwordConfig() oauth.PasswordConfig {
	return oauth.PasswordConfig{TokenURL: "https://as.example/token", Username: "u",
		Password: secret.New(canary + "-pw"), Client: clientAuth()}
}

func refreshConfig() oauth.RefreshTokenConfig {
	return oauth.RefreshTokenConfig{TokenURL: "https://as.example/token",
		RefreshToken: secret.New(canary + "-rt"), Client: clientAuth()}
}

func authCodeConfig() oauth.AuthCodeConfig {
	return oauth.AuthCodeConfig{AuthURL: "https://as.example/auth", TokenURL: "https://as.example/token", Client: clientAuth()}
}

func revocationConfig() oauth.RevocationConfig {
	return oauth.RevocationConfig{RevocationURL: "https://as.example/revoke", TokenURL: "https://as.example/token", Client: keyAuth()}
}

func introspectionConfig() oauth.IntrospectionConfig {
	return oauth.IntrospectionConfig{IntrospectionURL: "https://as.example/introspect", TokenURL: "https://as.example/token", Client: clientAuth()}
}

func jwtBearerConfig() oauth.JWTBearerConfig {
	return oauth.JWTBearerConfig{TokenURL: "https://as.example/token", Key: secret.NewSigner(crypto.Signer(key)),
		Issuer: "iss", Subject: "sub", Client: clientAuth()}
}

func deviceConfig() oauth.DeviceConfig {
	return oauth.DeviceConfig{DeviceAuthURL: "https://as.example/device", TokenURL: "https://as.example/token", Client: keyAuth()}
}

func newLoginClient(t *testing.T) any {
	c, err := login.NewTokenClient(context.Background(), "https://api.example.com", tokenConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func newBearerClient(t *testing.T) any {
	c, err := bearer.NewClient("https://api.example.com", bearer.WithTokenSource(bearer.StaticToken(canary+"-static")),
		bearer.WithDPoP(must(t)(oauth.NewDPoP(dpopConfig())).(*oauth.DPoP)),
		bearer.WithClientCertificate(secret.New(&tls.Certificate{Certificate: [][]byte{[]byte(canary + "-cert")}, PrivateKey: key})))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newMemoryStore(t *testing.T) any {
	var m tokenrefresh.MemoryStore
	if err := m.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(tok("stored"))}); err != nil {
		t.Fatal(err)
	}
	return &m
}

func newRefresher(t *testing.T) any {
	r, err := tokenrefresh.New(context.Background(), refresherConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// newClimateEngineClient logs in to a fake auth server that hands out
// canary tokens.
func newClimateEngineClient(t *testing.T) any {
	srv, err := climateenginetest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	srv.AddUser("ce@example.com", canary+"-ce-password")
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := climateengine.NewClient(context.Background(),
		climateengine.Credentials{Email: "ce@example.com", Password: secret.New(canary + "-ce-password")},
		climateengine.WithAuthURL(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newC2Client keeps a canary token alive against the fake C2.
func newC2Client(t *testing.T) any {
	fake := c2test.New(c2test.Options{})
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := c2.New(context.Background(), ts.URL, fake.IssueToken())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// privateScalar returns k's private scalar in decimal, as fmt prints the
// big.Int inside an *ecdsa.PrivateKey.
func privateScalar(k *ecdsa.PrivateKey) string {
	b, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(b).String()
}

// newOAuthTestServer is the OAuth test kit holding a user whose password
// is a canary, a client whose id and secret are canaries, and a refresh
// token issued to that client.
func newOAuthTestServer(t *testing.T) any {
	srv, err := oauthtest.New(oauthtest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	u := srv.AddUser("kit@example.com", canary+"-kit-password")
	c, err := srv.AddClient(oauthtest.Client{UserID: u.ID, ClientID: canary + "-kit-client",
		ClientSecret: secret.New(canary + "-kit-secret")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.IssueRefreshToken(c.ClientID, canary); err != nil {
		t.Fatal(err)
	}
	return srv
}
