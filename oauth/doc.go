// Package oauth gets tokens from OAuth 2 servers, for programs that keep
// them alive with tokenrefresh.
//
// Each grant is a data-only Config checked by its constructor, which
// returns a source of tokens:
//
//   - [NewClientCredentials]: the client_credentials grant (RFC 6749 4.4),
//     with the client authentication method chosen explicitly — never
//     guessed — from [ClientSecretBasic], [ClientSecretPost],
//     [ClientSecretJWT] and [PrivateKeyJWT] (RFC 7523 assertions, RS256,
//     PS256, ES256 or EdDSA);
//   - [NewPassword]: the password grant (RFC 6749 4.3), for legacy servers
//     only (RFC 9700 2.4); it logs in again with the held credentials when
//     there is no refresh token;
//   - [NewRefreshToken]: the refresh_token grant (RFC 6749 6) with
//     rotation: a new refresh token replaces the old one, and a rotated
//     one is never presented again;
//   - [NewJWTBearer]: the JWT bearer grant (RFC 7523 2.1), with an
//     assertion it signs for each request or one supplied;
//   - [NewAuthCode]: the authorization code grant with PKCE, for a native
//     app through a one-shot listener on 127.0.0.1 ([AuthCode.Login], RFC
//     8252), or for a web application from its own handlers
//     ([AuthCode.AuthURL], [AuthCode.Exchange]), with state, iss (RFC
//     9207) and the OpenID Connect nonce checked;
//   - [NewDevice]: the device authorization grant (RFC 8628), for
//     machines without a browser: a code to enter elsewhere, then polling;
//   - [NewRevoker]: token revocation (RFC 7009); [NewIntrospector]: token
//     introspection (RFC 7662).
//
// [NewDPoP] binds tokens to a key (RFC 9449): set it as [Settings.DPoP]
// of a grant, and give the same one to the bearer.Client that sends the
// tokens. [TLSClientAuth] and [SelfSignedTLSClientAuth] authenticate the
// client by its TLS certificate ([ClientAuth.Certificate], RFC 8705),
// whose tokens the server binds to the certificate.
//
// [Discover] reads a server's metadata from its issuer (RFC 8414, OpenID
// Connect Discovery); set it as a Config's Metadata to fill the endpoint
// URLs and to check the Config against what the server supports. Every
// grant takes Params, extra form parameters such as resource (RFC 8707),
// on its token and refresh requests. [Scope], [IDToken] and [ExpiresIn]
// read a token response's fields.
//
// Every source is a [Source], whose Refresh method is a
// tokenrefresh.RefreshFunc: [NewRefresher] wraps one in a
// tokenrefresh.Refresher (logging a [Loginer] in first when there is no
// token yet), which refreshes the token in the background
// before it expires, never makes callers wait while it is valid, retries
// 5xx, 429 and network failures with backoff (this package never retries
// on its own), stops at permanent failures, and writes each new token —
// rotated refresh token included — to its Store before using it.
//
// Token responses are read within [MaxResponseBytes]. The expiry is the
// earlier of expires_in (a number or a string) and the exp claim of a JWT
// access token, else [Settings.DefaultLifetime]: a token never lives
// forever. Other fields, such as expires_at, are kept in the token's
// Extra. Failures are an [*Error] (RFC 6749 error, error_description,
// error_uri, status, a bounded body; FastAPI's {"detail": …} too), which
// tells tokenrefresh whether it is permanent (invalid_client,
// invalid_grant, bad credentials, 4xx other than 408 and 429) and how long
// the server asked to wait, or a [*RequestError] when no answer came.
//
// Secrets — client secrets, passwords, assertions, tokens, codes, the PKCE
// verifier — never appear in errors or logs, and the Config types print
// them as REDACTED.
//
// Usage:
//
//	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
//		TokenURL: "https://auth.example.com/oauth/token",
//		Client: oauth.ClientAuth{
//			Method: oauth.ClientSecretJWT,
//			ID:     clientID,
//			Secret: secret.New(clientSecret),
//		},
//	})
//	if err != nil { ... }
//	r, err := oauth.NewRefresher(ctx, cc, tokenrefresh.Config{})
//	if err != nil { ... }
//	defer r.Close()
//	c, err := bearer.NewClient("https://api.example.com", bearer.WithTokenSource(r))
package oauth
