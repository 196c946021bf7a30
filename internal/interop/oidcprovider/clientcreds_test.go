package oidcprovider_test

import (
	"errors"
	"github.com/bearer-go/bearer/internal/testkeys"
	"slices"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

func TestDiscovery(t *testing.T) {
	s := startServer(t, serverConfig{})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover() = %v", err)
	}
	if md.Issuer != s.issuer || md.TokenEndpoint != s.url("/token") || md.DeviceAuthorizationEndpoint != s.url("/device/auth") ||
		md.RevocationEndpoint != s.url("/token/revocation") || md.IntrospectionEndpoint != s.url("/token/introspection") {
		t.Errorf("Discover() = %+v; want oidc-provider's endpoints under %s", md, s.issuer)
	}
	if !md.AuthorizationResponseIssParameterSupported || !slices.Contains(md.DPoPSigningAlgValuesSupported, "ES256") {
		t.Errorf("Discover() = %+v; want RFC 9207 iss and ES256 DPoP proofs announced", md)
	}
	// The issuer is compared exactly (RFC 8414 3.3): a trailing slash names
	// another issuer.
	if _, err := oauth.Discover(bounded(t), s.issuer+"/", oauth.Settings{}); err == nil {
		t.Error("Discover() with the issuer plus a slash = nil error; want the issuer mismatch refused")
	}
}

// clientAuths are the four ways a confidential client authenticates.
func clientAuths(t *testing.T) map[string]oauth.ClientAuth {
	key := testkeys.RSA()
	return map[string]oauth.ClientAuth{
		"client_secret_basic": {Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)},
		"client_secret_post":  {Method: oauth.ClientSecretPost, ID: postClient, Secret: secret.New(postSecret)},
		"private_key_jwt":     {Method: oauth.PrivateKeyJWT, ID: keyClient, Key: secret.NewSigner(key)},
		"client_secret_jwt":   {Method: oauth.ClientSecretJWT, ID: jwtClient, Secret: secret.New(jwtSecret)},
	}
}

func TestClientCredentials(t *testing.T) {
	s := startServer(t, serverConfig{})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range clientAuths(t) {
		t.Run(name, func(t *testing.T) {
			var log logs
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: auth, Scopes: []string{"read"},
				Settings: oauth.Settings{Logger: log.logger()}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // a second request proves each assertion has a fresh jti
				start := time.Now()
				tok, err := cc.Token(bounded(t))
				if err != nil {
					t.Fatalf("Token() #%d = %v", i, err)
				}
				if scope, _ := oauth.Scope(tok); tok.AccessToken == "" || !slices.Equal(scope, []string{"read"}) {
					t.Errorf("Token() = %s; want an access token with scope read", shape(tok))
				}
				if life := tok.Expiry.Sub(start); life < 9*time.Minute || life > 10*time.Minute+time.Second {
					t.Errorf("token lives %v; want oidc-provider's 10 minutes for client credentials", life)
				}
			}
			noSecret(t, "the log", log.String(), basicSecret, postSecret, jwtSecret)
		})
	}
}

// TestBasicAuthEncoding authenticates a client whose id and secret hold
// characters that RFC 6749 2.3.1 form-encodes before Basic: +, %, :, /,
// and spaces (client ids and secrets are printable ASCII, RFC 6749 A.1,
// A.2); oidc-provider decodes them so.
func TestBasicAuthEncoding(t *testing.T) {
	s := startServer(t, serverConfig{})
	for _, method := range []oauth.AuthMethod{oauth.ClientSecretBasic, oauth.ClientSecretPost} {
		t.Run(string(method), func(t *testing.T) {
			if _, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Scopes: []string{"read"},
				Client: oauth.ClientAuth{Method: method, ID: oddClient, Secret: secret.New(oddSecret)}}); err != nil {
				t.Errorf("Token() = %v", err)
			}
		})
	}
}

func TestClientCredentialsRefused(t *testing.T) {
	s := startServer(t, serverConfig{})
	otherKey := testkeys.ECP256()
	tests := map[string]oauth.ClientAuth{
		"wrong basic secret": {Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New("wrong-" + basicSecret)},
		"unknown client":     {Method: oauth.ClientSecretPost, ID: "nobody", Secret: secret.New(basicSecret)},
		"wrong key":          {Method: oauth.PrivateKeyJWT, ID: keyClient, Key: secret.NewSigner(otherKey)},
		"wrong HS256 secret": {Method: oauth.ClientSecretJWT, ID: jwtClient, Secret: secret.New("wrong-" + jwtSecret)},
	}
	for name, auth := range tests {
		t.Run(name, func(t *testing.T) {
			var log logs
			_, err := clientToken(t, oauth.ClientCredentialsConfig{TokenURL: s.url("/token"), Client: auth,
				Settings: oauth.Settings{Logger: log.logger()}})
			var oe *oauth.Error
			if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrInvalidClient) || !tokenrefresh.IsPermanent(err) || oe.StatusCode != 401 {
				t.Errorf("Token() = %v; want a permanent 401 invalid_client", err)
			}
			noSecret(t, "the error", describe(err), basicSecret, jwtSecret, "wrong-"+basicSecret, "wrong-"+jwtSecret)
			noSecret(t, "the log", log.String(), basicSecret, jwtSecret, "wrong-"+basicSecret, "wrong-"+jwtSecret)
		})
	}
}

// TestDiscoveryWithIssuerPath mounts oidc-provider under /oidc: the
// issuer has a path, RFC 8414's well-known URL for it
// (/.well-known/oauth-authorization-server/oidc) is not found, and
// Discover falls back to OpenID Connect's (/oidc/.well-known/...); the
// endpoints it gives work.
func TestDiscoveryWithIssuerPath(t *testing.T) {
	s := startServer(t, serverConfig{MountPath: "/oidc"})
	md, err := oauth.Discover(bounded(t), s.issuer, oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover(%s) = %v", s.issuer, err)
	}
	if md.Issuer != s.issuer || md.TokenEndpoint != s.url("/token") {
		t.Errorf("Discover() = issuer %s, token endpoint %s; want them under %s", md.Issuer, md.TokenEndpoint, s.issuer)
	}
	if _, err := clientToken(t, oauth.ClientCredentialsConfig{Metadata: md, Scopes: []string{"read"},
		Client: oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: jwtClient, Secret: secret.New(jwtSecret)}}); err != nil {
		t.Errorf("Token() = %v", err)
	}
}
