package oidcprovider_test

import (
	"crypto"
	"errors"
	"github.com/bearer-go/bearer/internal/testkeys"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// apiResource is the resource indicator (RFC 8707) of the API whose
// access tokens server.mjs issues as JWTs living five minutes.
const apiResource = "urn:bearer:api"

// TestJWTAccessTokens asks for a token for the API with Params' resource:
// oidc-provider issues a JWT access token (RFC 9068) whose exp and
// expires_in say five minutes, and the SDK's expiry says so too.
func TestJWTAccessTokens(t *testing.T) {
	s := startServer(t, serverConfig{})
	for name, auth := range clientAuths(t) {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			tok, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Client: auth, Scopes: []string{"read"},
				Params: url.Values{"resource": {apiResource}}})
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			scope, _ := oauth.Scope(tok)
			if strings.Count(tok.AccessToken, ".") != 2 || !slices.Equal(scope, []string{"read"}) {
				t.Errorf("Token() = %s; want a JWT access token with scope read", shape(tok))
			}
			if life := tok.Expiry.Sub(start); life < 4*time.Minute || life > 5*time.Minute+time.Second {
				t.Errorf("the JWT access token lives %v; want the API's five minutes", life)
			}
		})
	}
}

// TestDPoPKeyAlgorithms binds tokens to a P-256 key (ES256) and to an
// Ed25519 key (EdDSA), the algorithms oidc-provider takes for proofs.
func TestDPoPKeyAlgorithms(t *testing.T) {
	s := startServer(t, serverConfig{DPoPRequireNonce: true})
	ek := testkeys.ECP256()
	for name, key := range map[string]crypto.Signer{"ES256": ek, "EdDSA": testkeys.Ed25519()} {
		t.Run(name, func(t *testing.T) {
			dpop := newDPoP(t, key)
			tok, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Scopes: []string{"read"},
				Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}, Settings: oauth.Settings{DPoP: dpop}})
			if err != nil || tok.Type() != "DPoP" {
				t.Fatalf("Token() = %s, %v; want a DPoP-bound token", shape(tok), err)
			}
			boundToKey(t, s, tok.AccessToken, dpop)
		})
	}
}

// TestDPoPKeyTheServerRefuses: oidc-provider takes no RS256 proofs by
// default. With the discovered metadata the configuration is refused at
// once, saying which algorithms the server takes; without it, the
// server's invalid_dpop_proof is a permanent error.
func TestDPoPKeyTheServerRefuses(t *testing.T) {
	s := startServer(t, serverConfig{})
	rk := testkeys.RSA()
	dpop := newDPoP(t, rk)
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	auth := oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}
	_, err = oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: auth, Settings: oauth.Settings{DPoP: dpop}})
	if err == nil || !strings.Contains(err.Error(), "ES256") {
		t.Errorf("NewClientCredentials() with an RS256 DPoP key = %v; want it refused, naming the algorithms the server takes", err)
	}
	_, err = clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Client: auth, Settings: oauth.Settings{DPoP: dpop}})
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_dpop_proof" || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Token() with an RS256 DPoP key = %v; want a permanent invalid_dpop_proof", err)
	}
}
