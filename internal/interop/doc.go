// Package interop tests the oauth package against ory/fosite, an OAuth 2
// server written by others: every client authentication fosite takes
// (client_secret_jwt through a test-side strategy; private_key_jwt with
// RS256, PS256 and ES256, not EdDSA, which fosite v0.49 refuses there),
// the password, refresh (rotation, reuse detection), client credentials,
// JWT bearer (RS256, PS256, ES256, EdDSA) and authorization code grants
// (native loopback and web app, with OpenID Connect), revocation and
// introspection. fosite v0.49 has no device authorization grant (RFC
// 8628), no discovery handler and no RFC 9207 iss: those are tested
// against the fakes in package oauth, and against panva's oidc-provider in
// the package oidcprovider, which runs it as a real Node.js server. It is a
// module of its own so that fosite and
// its dependencies stay out of the SDK's go.mod; run it with
//
//	cd internal/interop && go test -race ./...
package interop
