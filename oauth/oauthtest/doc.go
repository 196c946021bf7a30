// Package oauthtest is a fake OAuth 2 authorization server, and a
// bearer-protected API behind it, for testing programs that use package
// [github.com/bearer-go/bearer/oauth] (or any other OAuth client) offline,
// the way [net/http/httptest] tests an HTTP client. A [Server] is an
// [http.Handler]; [Start] serves one on loopback for the length of a test.
// Nothing leaves the process.
//
// A test of a program that gets its tokens with the client_credentials
// grant:
//
//	func TestSync(t *testing.T) {
//		auth, srv := oauthtest.Start(t, oauthtest.Config{})
//		client, err := auth.AddClient(oauthtest.Client{UserID: auth.AddUser("robot@example.com", "pw").ID})
//		if err != nil {
//			t.Fatal(err)
//		}
//		runSync(srv.URL+oauthtest.TokenPath, client.ClientID, client.ClientSecret) // the program under test
//		if n := auth.Stats().TokenCalls["client_credentials"]; n != 1 {
//			t.Errorf("the program asked for %d tokens; want 1", n)
//		}
//	}
//
// The server is modelled on Climate Engine's (package climateenginetest
// serves it at that service's paths) and implements the OAuth standards
// the SDK speaks, each as its RFC writes it, errors included:
//
//   - The token endpoint (RFC 6749 3.2, [TokenPath]): the password,
//     client_credentials, authorization_code, refresh_token, device_code
//     (RFC 8628 3.4) and JWT bearer (RFC 7523 2.1, for issuers made
//     trusted with [Server.TrustIssuer]) grants. Clients authenticate with
//     client_secret_basic (the id and secret form-url-encoded before
//     base64, RFC 6749 2.3.1), client_secret_post or client_secret_jwt
//     (RFC 7523 3), each checked for real; public clients name themselves.
//     The answer is {access_token, token_type, expires_at, expires_in},
//     plus refresh_token and scope where a client acts for a user; the
//     access token is an RS256 JWT carrying user_id, groups, roles, aud,
//     iss, exp, jti and iat. Refresh tokens rotate on each use, and a
//     reused one revokes its whole family (RFC 9700 4.14.2).
//   - The authorization endpoint ([AuthorizePath]): the authorization code
//     grant with PKCE S256 (RFC 7636), approved at once as the client's
//     user and redirected to a loopback redirect URI on any port (RFC
//     8252) or, for a client with [Client.RedirectURIs], to one of those;
//     every redirect carries the server's iss (RFC 9207), and a scope with
//     openid adds an ID token with the request's nonce (OpenID Connect
//     Core 3.1.3.3). [Server.DenyAuthorizations] makes it answer error=.
//   - The device authorization endpoint (RFC 8628 3.1,
//     [DeviceAuthorizationPath]): authorization_pending, slow_down (+5 s to
//     the interval for each), access_denied, expired_token;
//     [Server.ApproveDevice], [Server.DenyDevice] and
//     [Server.ApproveDevicesAfter] play the user.
//   - Introspection (RFC 7662, [IntrospectPath]) and revocation (RFC 7009,
//     [RevokePath]: a refresh token takes its whole grant with it) for an
//     authenticated client, and the metadata document (RFC 8414 and OpenID
//     Connect Discovery) at both well-known URLs of [Config.Issuer].
//   - Climate Engine's account endpoints: the token's user ([UsersMePath])
//     and new API clients ([ClientsPath]).
//
// Where the standards leave the answer open, it is Climate Engine's, a
// FastAPI service: {"detail": ...} for bearer checks and bad forms (422),
// 400 {"detail": "LOGIN_BAD_CREDENTIALS"} for a wrong password, and
// expires_at a minute before the JWT's exp.
//
// [Server.APIHandler] is the API side (a separate host, as with Climate
// Engine): it accepts the same access tokens at [EchoPath].
//
// Tests steer the fake: [Config.Now] injects the clock that issues and
// checks every expiry; [Config.Paths] moves the endpoints;
// [Server.RevokeAll] invalidates every access token issued so far;
// [Server.IssueRefreshToken] hands a program a refresh token as if a user
// had signed in; [Server.InjectFault] makes chosen requests fail (a status
// with Retry-After for the next N requests, a delay, a request held until
// released, an HTML 502 page, an oversized body, a 200 that carries an
// error, a dropped connection, or a refresh token rotation applied and then
// dropped before the answer). They assert on what clients did:
// [Server.Stats] counts token calls by grant and authentication method,
// tokens issued, rotations, revocations, 401s and faults; [Server.Active] and
// [Server.Successor] follow a token's life.
//
// The fake never logs a password, client secret, token or assertion (a
// Server prints as oauthtest.Server{REDACTED}, a [Client]'s secret as
// REDACTED), and reads at most [MaxBodyBytes] of any request body.
//
// [Config] and [Fault] are structs whose zero fields mean the defaults, so
// a field added later changes nothing for the tests already written.
package oauthtest
