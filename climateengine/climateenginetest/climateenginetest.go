// Package climateenginetest is a fake of Climate Engine's authorization
// server (https://auth.climateengine.com), for testing programs that use
// package [github.com/bearer-go/bearer/climateengine] offline. It is the
// OAuth server of package [github.com/bearer-go/bearer/oauth/oauthtest]
// at Climate Engine's paths, with its issuer and audiences: everything
// oauthtest documents (faults, the injectable clock, statistics, the API
// side) applies.
//
// As the Climate Engine tutorial shows the service, it serves:
//
//   - POST [TokenPath]: the password grant (username, password) and the
//     client_credentials grant with client_secret_basic,
//     client_secret_post or client_secret_jwt. The answer carries
//     access_token, token_type "bearer", expires_at and expires_in, a
//     minute short of the JWT's exp; the token is an RS256 JWT that lives
//     fifteen minutes. A wrong password is 400 {"detail":
//     "LOGIN_BAD_CREDENTIALS"}, a missing field a FastAPI 422.
//   - GET [UsersMePath]: the account of the token's user.
//   - POST [ClientsPath]: a new API client of the token's user, 201
//     {"user_id", "client_id", "client_secret"}; the secret is shown once.
//
// The grants and endpoints the real service lacks (authorization code,
// refresh tokens, the device flow, introspection, revocation) are served too, at the
// fake's own paths below, as oauthtest serves them.
//
// A test of a program that logs in with an API client:
//
//	func TestReport(t *testing.T) {
//		auth, srv := climateenginetest.Start(t, oauthtest.Config{})
//		client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("me@example.com", "pw").ID})
//		if err != nil {
//			t.Fatal(err)
//		}
//		runReport(t, srv.URL, client.ClientID, client.ClientSecret) // the program under test
//		if n := auth.Stats().TokensIssued; n != 1 {
//			t.Errorf("the program logged in %d times; want 1", n)
//		}
//	}
//
// where the program passes [climateengine.WithAuthURL](srv.URL) to
// [climateengine.NewClient].
package climateenginetest

import (
	"net/http/httptest"
	"testing"

	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

// Climate Engine's paths, and the fake's own where the service has none.
const (
	// TokenPath is the service's token endpoint.
	TokenPath = climateengine.TokenPath
	// UsersMePath is the service's account endpoint.
	UsersMePath = "/api/v1/users/me"
	// ClientsPath is the service's endpoint that creates API clients.
	ClientsPath = "/api/v1/clients/"
	// AuthorizePath is the fake's own authorization endpoint (RFC 6749
	// 3.1); the real service has none.
	AuthorizePath = "/api/v1/auth/authorize"
	// IntrospectPath is the fake's own introspection endpoint (RFC 7662).
	IntrospectPath = "/api/v1/auth/introspect"
	// RevokePath is the fake's own revocation endpoint (RFC 7009).
	RevokePath = "/api/v1/auth/revoke"
	// DeviceAuthorizationPath is the fake's own device authorization
	// endpoint (RFC 8628 3.1).
	DeviceAuthorizationPath = "/api/v1/auth/device"
	// DeviceVerificationPath is the fake's own verification_uri of the
	// device flow (RFC 8628 3.2).
	DeviceVerificationPath = "/device"
)

// The iss claim and audiences of the service's access tokens.
const (
	// Issuer is the iss claim and first audience of access tokens.
	Issuer = climateengine.DefaultAuthURL
	// APIAudience is their second audience: the data API.
	APIAudience = climateengine.DefaultAPIURL
)

// Paths returns Climate Engine's paths, for [oauthtest.Config.Paths].
func Paths() oauthtest.Paths {
	return oauthtest.Paths{
		TokenEndpoint:               TokenPath,
		AuthorizationEndpoint:       AuthorizePath,
		IntrospectionEndpoint:       IntrospectPath,
		RevocationEndpoint:          RevokePath,
		DeviceAuthorizationEndpoint: DeviceAuthorizationPath,
		VerificationURI:             DeviceVerificationPath,
		UsersMe:                     UsersMePath,
		Clients:                     ClientsPath,
	}
}

// Configure returns cfg with Climate Engine's paths, [Issuer] and
// [APIAudience] where cfg leaves them empty; the other fields are
// oauthtest's, and their defaults are the service's already.
func Configure(cfg oauthtest.Config) oauthtest.Config {
	if cfg.Paths == (oauthtest.Paths{}) {
		cfg.Paths = Paths()
	}
	if cfg.Issuer == "" {
		cfg.Issuer = Issuer
	}
	if cfg.APIAudience == "" {
		cfg.APIAudience = APIAudience
	}
	return cfg
}

// New returns a fake Climate Engine auth server: [oauthtest.New] of
// [Configure](cfg).
func New(cfg oauthtest.Config) (*oauthtest.Server, error) {
	return oauthtest.New(Configure(cfg))
}

// Start serves a new fake Climate Engine auth server on a loopback
// [httptest.Server], which tb closes when the test ends: [oauthtest.Start]
// of [Configure](cfg). Point [climateengine.WithAuthURL] at the server's
// URL.
func Start(tb testing.TB, cfg oauthtest.Config) (*oauthtest.Server, *httptest.Server) {
	tb.Helper()
	return oauthtest.Start(tb, Configure(cfg))
}
