// Package oidcprovider tests the oauth and tokenrefresh packages against
// panva's oidc-provider, an OpenID-certified authorization server written
// in JavaScript, run by the tests as a real Node.js process (server.mjs
// beside this file): discovery and RFC 9207 iss, client credentials with
// every client authentication method, the authorization code grant with
// PKCE driven through the server's own login and consent pages, refresh
// token rotation under a tokenrefresh.Refresher with a FileStore (across
// a restart, with reuse detection), the device authorization grant,
// DPoP-bound tokens used at the userinfo endpoint (with server nonces),
// mutual TLS (self_signed_tls_client_auth, certificate-bound tokens), JWT
// access tokens for a resource (RFC 8707, RFC 9068), introspection,
// revocation, a revoked grant, and a user who refuses. Every test also
// checks that no secret (client secret, token, code verifier) appears in
// an error or a log line of the SDK's.
//
// It needs node and the pinned packages:
//
//	cd internal/interop/oidcprovider && npm ci
//	cd .. && go test -race ./oidcprovider/
//
// Without node or node_modules the tests skip and say so.
package oidcprovider
