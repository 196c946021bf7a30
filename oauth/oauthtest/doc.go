// Package oauthtest is a fake of the Climate Engine authorization server and
// of a bearer-protected API behind it, for tests and demos. It is an
// [http.Handler]: start it with [net/http/httptest.NewServer] (or
// NewTLSServer) and point a client at the server's URL. Nothing leaves the
// process.
//
// The auth side ([Server] itself) serves what the real service serves:
//
//   - POST [TokenPath] (form-encoded, RFC 6749 section 4): grant_type=password
//     with username and password, and grant_type=client_credentials with the
//     client authenticated by client_secret_basic (RFC 6749 section 2.3.1,
//     with the id and secret form-url-encoded before base64),
//     client_secret_post, or client_secret_jwt (an HS256 assertion signed
//     with the client secret, RFC 7523 section 3 and OpenID Connect Core
//     section 9), each checked for real. The answer is
//     {access_token, token_type, expires_at, expires_in}; the access token is
//     an RS256 JWT carrying user_id, groups, roles, aud, iss, exp, jti and iat.
//   - GET [UsersMePath]: the account of the token's user.
//   - POST [ClientsPath]: a new client id and secret for the token's user.
//   - GET [AuthorizePath] (the fake's own; the real service has none): the
//     authorization code grant with PKCE for native apps (RFC 7636, RFC
//     8252), approved at once as the client's user and redirected to a
//     loopback redirect URI on any port. The token endpoint then also
//     serves grant_type=authorization_code and grant_type=refresh_token,
//     with refresh tokens rotated on each use and a reused one revoking
//     its whole family. [Server.DenyAuthorizations] makes it answer
//     error= instead. Every redirect carries the server's iss (RFC 9207);
//     a client with [Client.RedirectURIs] (a web application) may use
//     only those, matched exactly; a scope with openid adds an ID token
//     carrying the request's nonce (OpenID Connect Core 3.1.3.3).
//
// The fake's other endpoints, which the real service lacks, follow their
// RFCs as written, errors included:
//
//   - GET /.well-known/oauth-authorization-server and
//     /.well-known/openid-configuration: the metadata (RFC 8414, OpenID
//     Connect Discovery) of [Config.Issuer]; set it to the fake's URL.
//   - POST [DeviceAuthorizationPath] and the device_code grant (RFC 8628):
//     authorization_pending, slow_down (+5 s to the interval for each),
//     access_denied, expired_token; [Server.ApproveDevice],
//     [Server.DenyDevice] and [Server.ApproveDevicesAfter] play the user.
//   - The JWT bearer grant (RFC 7523 2.1) for issuers made trusted with
//     [Server.TrustIssuer] (RS256, PS256, ES256, EdDSA).
//   - POST [IntrospectPath] (RFC 7662) for an authenticated client.
//
// [Server.APIHandler] is the API side (Climate Engine's API lives on another
// host): it accepts the same access tokens at [EchoPath].
//
// Errors look like the real service's, which is built on FastAPI:
// {"detail": ...} for users and bearer checks, RFC 6749 section 5.2
// {"error": ..., "error_description": ...} for client authentication.
//
// Tests steer the fake: [Config.Now] injects the clock that issues and
// checks every expiry, [Server.RevokeAll] invalidates every token issued so
// far, [Server.InjectFault] makes chosen requests fail (a status with
// Retry-After, a delay, an HTML 502 page, an oversized body, a 200 that
// carries an error), and [Server.Stats] counts what clients did.
//
// The fake never logs a password, client secret, access token or assertion,
// and reads at most [MaxBodyBytes] of any request body.
//
// Usage:
//
//	srv, err := oauthtest.New(oauthtest.Config{})
//	if err != nil { ... }
//	user := srv.AddUser("bennett@example.com", "hunter2")
//	auth := httptest.NewServer(srv)
//	defer auth.Close()
//	api := httptest.NewServer(srv.APIHandler())
//	defer api.Close()
//	// POST auth.URL+oauthtest.TokenPath with grant_type=password,
//	// username=user.Email, password=hunter2; then GET api.URL+oauthtest.EchoPath
//	// with the access token.
package oauthtest
