package oidcprovider_test

import (
	"crypto"
	"errors"
	"github.com/bearer-go/bearer/internal/testkeys"
	"slices"
	"testing"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
)

// TestPrivateKeyJWTAlgorithms authenticates with assertions of every
// algorithm the SDK signs: oidc-provider takes them all, EdDSA included.
func TestPrivateKeyJWTAlgorithms(t *testing.T) {
	s := startServer(t, serverConfig{})
	rk, ek := testkeys.RSA(), testkeys.ECP256()
	tests := []struct {
		kid, alg string
		key      crypto.Signer
	}{{"rs256", "", rk}, {"ps256", "PS256", rk}, {"es256", "", ek}, {"eddsa", "", testkeys.Ed25519()}}
	for _, tt := range tests {
		t.Run(tt.kid, func(t *testing.T) {
			if _, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Scopes: []string{"read"},
				Client: oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: algsClient, Key: secret.NewSigner(tt.key), KeyID: tt.kid, Algorithm: tt.alg}}); err != nil {
				t.Errorf("Token() = %v", err)
			}
		})
	}
}

// TestIntrospectionAndRevocation introspects and revokes a token with
// each client authentication method, configured from the discovered
// metadata: the assertions' audience must be one oidc-provider takes at
// those endpoints too.
func TestIntrospectionAndRevocation(t *testing.T) {
	s := startServer(t, serverConfig{})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range clientAuths(t) {
		t.Run(name, func(t *testing.T) {
			var log logs
			settings := oauth.Settings{Logger: log.logger()}
			tok, err := clientToken(t, oauth.ClientCredentialsConfig{Metadata: md, Client: auth, Scopes: []string{"read"}, Settings: settings})
			if err != nil {
				t.Fatal(err)
			}
			in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{Metadata: md, Client: auth, Settings: settings})
			if err != nil {
				t.Fatal(err)
			}
			got, err := in.Introspect(bounded(t), tok.AccessToken, oauth.HintAccessToken)
			if err != nil || !got.Active || got.ClientID != auth.ID || !slices.Equal(got.Scope, []string{"read"}) || got.Expiry.IsZero() {
				t.Fatalf("Introspect() = active %v, client %q, scope %q, exp %v, %v; want the active token of %s with scope read",
					got != nil && got.Active, clientOf(got), scopeOf(got), expOf(got), err, auth.ID)
			}
			rev, err := oauth.NewRevoker(oauth.RevocationConfig{Metadata: md, Client: auth, Settings: settings})
			if err != nil {
				t.Fatal(err)
			}
			if err := rev.Revoke(bounded(t), tok.AccessToken, oauth.HintAccessToken); err != nil {
				t.Fatalf("Revoke() = %v", err)
			}
			if got, err := in.Introspect(bounded(t), tok.AccessToken, ""); err != nil || got.Active {
				t.Errorf("Introspect() after Revoke() = active %v, %v; want inactive", got != nil && got.Active, err)
			}
			noSecret(t, "the log", log.String(), tok.AccessToken, basicSecret, postSecret, jwtSecret)
		})
	}
}

// TestIntrospectionRefused: a wrong secret at the introspection endpoint
// is a permanent invalid_client that names no secret.
func TestIntrospectionRefused(t *testing.T) {
	s := startServer(t, serverConfig{})
	wrong := "wrong-" + apiSecret
	in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: s.url("/token/introspection"),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: apiClient, Secret: secret.New(wrong)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = in.Introspect(bounded(t), "some-token-value-0123456789", "")
	if !errors.Is(err, oauth.ErrInvalidClient) {
		t.Errorf("Introspect() with a wrong secret = %v; want invalid_client", err)
	}
	noSecret(t, "the error", describe(err), wrong, "some-token-value-0123456789")
}

func clientOf(in *oauth.Introspection) string {
	if in == nil {
		return ""
	}
	return in.ClientID
}

func scopeOf(in *oauth.Introspection) []string {
	if in == nil {
		return nil
	}
	return in.Scope
}

func expOf(in *oauth.Introspection) any {
	if in == nil {
		return nil
	}
	return in.Expiry
}
