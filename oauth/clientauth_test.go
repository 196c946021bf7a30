package oauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
)

func TestClientSecretBasicEncodesBeforeBase64(t *testing.T) {
	ts := newTokenServer(t, 200, okToken)
	const id, clientSecret = "app:1 %x", "p%+ s:&="
	cc := clientCredentials(t, ts.URL+"/token", oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: id, Secret: secret.New(clientSecret)})
	if _, err := cc.Token(bounded(t)); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	r := ts.last(t)
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("app%3A1+%25x:p%25%2B+s%3A%26%3D"))
	if got := r.header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q; want %q", got, want)
	}
	if r.body != "grant_type=client_credentials" {
		t.Errorf("body = %q; want only grant_type=client_credentials", r.body)
	}
	if ct := r.header.Get("Content-Type"); r.method != "POST" || ct != "application/x-www-form-urlencoded" {
		t.Errorf("request = %s with Content-Type %q; want a form-encoded POST", r.method, ct)
	}
}

func TestClientSecretPostSendsBothInTheForm(t *testing.T) {
	ts := newTokenServer(t, 200, okToken)
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: ts.URL + "/token",
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "app 1", Secret: secret.New("s+&=")},
		Scopes:   []string{"read", "write"},
		Params:   url.Values{"audience": {"https://api.example"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Token(bounded(t)); err != nil {
		t.Fatalf("Token() = %v", err)
	}
	r := ts.last(t)
	const want = "audience=https%3A%2F%2Fapi.example&client_id=app+1&client_secret=s%2B%26%3D&grant_type=client_credentials&scope=read+write"
	if r.body != want {
		t.Errorf("body = %q; want %q", r.body, want)
	}
	if h := r.header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q; want none with client_secret_post", h)
	}
}

// checkAssertion verifies the assertion of r with key and alg, and checks
// its claims: iss = sub = id, aud the token URL as a single string, a jti,
// iat now and exp AssertionLifetime later; no secret beside it.
func checkAssertion(t *testing.T, r recorded, alg string, key any, id, aud string) jwt.MapClaims {
	t.Helper()
	if r.form.Get("client_assertion_type") != oauth.JWTBearerAssertionType {
		t.Errorf("client_assertion_type = %q", r.form.Get("client_assertion_type"))
	}
	for _, k := range []string{"client_secret", "client_id"} {
		if r.form.Has(k) {
			t.Errorf("form has %s beside the assertion", k)
		}
	}
	if h := r.header.Get("Authorization"); h != "" {
		t.Errorf("Authorization = %q beside the assertion", h)
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(fixedNow)).
		ParseWithClaims(r.form.Get("client_assertion"), claims, func(*jwt.Token) (any, error) { return key, nil })
	if err != nil {
		t.Fatalf("assertion does not verify with %s: %v", alg, err)
	}
	if claims["iss"] != id || claims["sub"] != id {
		t.Errorf("iss, sub = %v, %v; want %q for both", claims["iss"], claims["sub"], id)
	}
	if got, ok := claims["aud"].(string); !ok || got != aud {
		t.Errorf("aud = %#v; want the single string %q", claims["aud"], aud)
	}
	if jti, _ := claims["jti"].(string); len(jti) < 16 {
		t.Errorf("jti = %q; want a random id", jti)
	}
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if iat == nil || exp == nil || !iat.Equal(epoch) || exp.Sub(iat.Time) != oauth.AssertionLifetime {
		t.Errorf("iat, exp = %v, %v; want %v and %v later", iat, exp, epoch, oauth.AssertionLifetime)
	}
	if tok.Header["typ"] != "JWT" {
		t.Errorf("typ header = %v", tok.Header["typ"])
	}
	return claims
}

func TestClientSecretJWTAssertion(t *testing.T) {
	ts := newTokenServer(t, 200, okToken)
	const clientSecret = "QnbSL9x6Y_lSX9I708SOEJljah_zWgEa9KLiBlqqIIA"
	cc := clientCredentials(t, ts.URL+"/api/token?tenant=1", oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: "b2628e59", Secret: secret.New(clientSecret)})
	ctx := bounded(t)
	for range 2 {
		if _, err := cc.Token(ctx); err != nil {
			t.Fatalf("Token() = %v", err)
		}
	}
	reqs := ts.requests()
	c1 := checkAssertion(t, reqs[0], "HS256", []byte(clientSecret), "b2628e59", ts.URL+"/api/token")
	c2 := checkAssertion(t, reqs[1], "HS256", []byte(clientSecret), "b2628e59", ts.URL+"/api/token")
	if c1["jti"] == c2["jti"] {
		t.Errorf("two assertions share jti %v; each needs a fresh one", c1["jti"])
	}
	if strings.Contains(reqs[0].body, clientSecret) {
		t.Error("the request body carries the client secret")
	}
}

func TestPrivateKeyJWTAssertion(t *testing.T) {
	tests := []struct {
		alg    string
		key    crypto.Signer
		pub    any
		kid    string
		aud    string
		choose string // Client.Algorithm
	}{
		{"RS256", testkeys.RSA(), &testkeys.RSA().PublicKey, "key-2026", "", ""},
		{"ES256", testkeys.ECP256(), &testkeys.ECP256().PublicKey, "", "https://issuer.example", ""},
		{"ES256", opaqueSigner{testkeys.ECP256()}, &testkeys.ECP256().PublicKey, "kms-key", "", ""},
		{"RS256", opaqueSigner{testkeys.RSA()}, &testkeys.RSA().PublicKey, "", "", ""},
		{"PS256", testkeys.RSA(), &testkeys.RSA().PublicKey, "pss", "", "PS256"},
		{"PS256", opaqueSigner{testkeys.RSA()}, &testkeys.RSA().PublicKey, "", "", "PS256"},
		{"EdDSA", testkeys.Ed25519(), testkeys.Ed25519().Public(), "ed-1", "", ""},
		{"EdDSA", opaqueSigner{testkeys.Ed25519()}, testkeys.Ed25519().Public(), "", "", "EdDSA"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %T", tt.alg, tt.key), func(t *testing.T) {
			ts := newTokenServer(t, 200, okToken)
			cc := clientCredentials(t, ts.URL+"/token", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "svc", Key: secret.NewSigner(tt.key),
				KeyID: tt.kid, Audience: tt.aud, Algorithm: tt.choose})
			if _, err := cc.Token(bounded(t)); err != nil {
				t.Fatalf("Token() = %v", err)
			}
			aud := tt.aud
			if aud == "" {
				aud = ts.URL + "/token"
			}
			r := ts.last(t)
			checkAssertion(t, r, tt.alg, tt.pub, "svc", aud)
			tok, _, _ := jwt.NewParser().ParseUnverified(r.form.Get("client_assertion"), jwt.MapClaims{})
			if kid, _ := tok.Header["kid"].(string); kid != tt.kid {
				t.Errorf("kid = %q; want %q", kid, tt.kid)
			}
		})
	}
}

func TestClientAuthValidation(t *testing.T) {
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tests := []struct {
		name string
		auth oauth.ClientAuth
		want string
	}{
		{"zero", oauth.ClientAuth{}, "Client is required"},
		{"no method", oauth.ClientAuth{ID: "a", Secret: secret.New("b")}, "never guessed"},
		{"unknown method", oauth.ClientAuth{Method: "tls_client_auth_v2", ID: "a"}, "unknown Client.Method"},
		{"basic without secret", oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "a"}, "needs Client.Secret"},
		{"post without id", oauth.ClientAuth{Method: oauth.ClientSecretPost, Secret: secret.New("s")}, "needs Client.ID"},
		{"jwt with key", oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: "a", Secret: secret.New("s"), Key: secret.NewSigner(testkeys.ECP256())}, "not Client.Key"},
		{"private key without key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a"}, "needs Client.Key"},
		{"private key with secret", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Secret: secret.New("s"), Key: secret.NewSigner(testkeys.ECP256())}, "leave Client.Secret empty"},
		{"small RSA key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Key: secret.NewSigner(small)}, "at least 2048"},
		{"P-384 key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Key: secret.NewSigner(p384)}, "P-256"},
		{"PS256 with an EC key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Key: secret.NewSigner(testkeys.ECP256()), Algorithm: "PS256"}, "Client.Algorithm \"PS256\" does not fit Client.Key: use one of [ES256]"},
		{"ES256 with an RSA key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Key: secret.NewSigner(testkeys.RSA()), Algorithm: "ES256"}, "use one of [RS256 PS256]"},
		{"EdDSA with a small RSA key", oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "a", Key: secret.NewSigner(small), Algorithm: "PS256"}, "at least 2048"},
		{"algorithm with basic", oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "a", Secret: secret.New("s"), Algorithm: "HS256"}, "does not apply to client_secret_basic"},
		{"RS256 with client_secret_jwt", oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: "a", Secret: secret.New("s"), Algorithm: "RS256"}, "does not apply"},
		{"none", oauth.ClientAuth{Method: oauth.AuthNone, ID: "a"}, "AuthNone cannot be used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token", Client: tt.auth})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClientCredentials(%v) = %v; want an error containing %q", tt.auth, err, tt.want)
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	basic := oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "a", Secret: secret.New("b")}
	tests := []struct {
		name string
		cfg  oauth.ClientCredentialsConfig
		want string
	}{
		{"no URL", oauth.ClientCredentialsConfig{Client: basic}, "TokenURL is required"},
		{"relative URL", oauth.ClientCredentialsConfig{TokenURL: "/token", Client: basic}, "absolute URL"},
		{"plain http", oauth.ClientCredentialsConfig{TokenURL: "http://as.example/token", Client: basic}, "plain http"},
		{"user info", oauth.ClientCredentialsConfig{TokenURL: "https://u:p@as.example/token", Client: basic}, "user name or password"},
		{"reserved param", oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token", Client: basic, Params: url.Values{"client_secret": {"x"}}}, "must not set client_secret"},
		{"negative lifetime", oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token", Client: basic, Settings: oauth.Settings{DefaultLifetime: -time.Second}}, "DefaultLifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oauth.NewClientCredentials(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClientCredentials = %v; want an error containing %q", err, tt.want)
			}
		})
	}
	ok := oauth.ClientCredentialsConfig{TokenURL: "http://as.internal/token", Client: basic, Settings: oauth.Settings{AllowInsecureHTTP: true}}
	if _, err := oauth.NewClientCredentials(ok); err != nil {
		t.Errorf("plain http with AllowInsecureHTTP = %v; want it accepted", err)
	}
}

// opaqueSigner hides the key's type, as a key held in a KMS or an HSM
// does: only Public and Sign are available.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }

func (o opaqueSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, digest, opts)
}
