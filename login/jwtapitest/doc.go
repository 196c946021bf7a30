// Package jwtapitest is a test kit: an in-memory copy of the JWT-secured
// API server of seed 004 (the Fathat "starwars-api" Flask/connexion
// backend), as an [http.Handler], for testing a program that uses such an
// API (with package login or otherwise) offline, the way net/http/httptest
// serves a handler. It answers as the seed's code does, statuses, bodies
// and content types; its MySQL users and its Redis set of revoked tokens
// are maps in memory.
//
// Where it comes from: the seed (stage 4 of the project's tutorial) gives
// the token code (generate_jwt, decode_auth_token, verify_payload,
// permission, the Redis helpers, the ApiError codes); the stage it links
// to for users (training-docs/users.md of
// Fathat-Training/starwars-api-backend-skeleton) gives signup, login,
// logout and generate_tokens; the project's openapi.yaml gives the
// methods and parameters.
//
// # Endpoints
//
//	POST /users/v1/signup          {"email", "password", "access_role"?}          → {}
//	POST /users/v1/login           {"email", "password"}                          → LoginResponse
//	GET  /users/v1/generate_tokens Bearer refresh token, ?old_access_token=ACCESS → RefreshResponse
//	GET  /users/v1/logout          Bearer access token (basic)                    → {}
//	GET  /films/v1/                Bearer access token (basic)                    → FilmList
//	GET  /films/v1/{film_id}       no token (the seed secures /films/v1/ only)    → Film
//	GET  /users/v1/{user_id}       Bearer access token (admin)                    → User
//
// Tokens are HS256 JWTs with the seed's claims (see [Claims]): access tokens
// carry standard_claim and are signed with one secret, refresh tokens carry
// refresh_claim and are signed with another, so neither opens the other's
// endpoints.
//
// The seed's rules, kept:
//
//   - One session per user: login sets the user's logged_in and refuses a
//     user whose flag is set with 400 user-already-logged-in; only logout
//     clears it. A client that logs in again without logging out (after a
//     crash, or when its refresh token has expired) is refused.
//   - Login answers 404 not-found to an unknown email and to a wrong
//     password alike, and 400 email-unverified to an account made by
//     signup until [Server.VerifyEmail] (the link of the seed's
//     verification email; the fake sends none). [Server.AddUser] makes
//     verified accounts.
//   - Login revokes the refresh token of the user's previous login.
//   - generate_tokens needs old_access_token (connexion's 400 problem
//     without it); it revokes that access token and the user's refresh
//     token, and answers a new pair. An old_access_token that has expired
//     makes the seed's code fail: a 500, so a client must refresh before
//     the access token expires. One of another user is a 403 token-invalid.
//   - Logout revokes the access token and clears logged_in; the refresh
//     token stays valid.
//
// # Errors, as the seed sends them
//
// Errors raised by the seed's code are {"message": "<code>", "status": "error"}
// ([ErrorBody]), application/json:
//
//   - 401 token-expired: exp has passed on the server's clock;
//   - 401 token-invalid: bad signature, the wrong kind of token, a revoked
//     token (checked first, so a revoked token that has also expired is
//     still token-invalid), or a malformed one;
//   - 401 authorisation-required: a valid token whose role is too low. The
//     seed answers 401, not 403, to a lack of permission;
//   - 404 not-found, 400 user-already-exists, 400 user-already-logged-in,
//     400 email-unverified, and logout's 400 "Authorisation required" when
//     the header lacks "Bearer " (case-sensitive, where connexion accepts
//     any case);
//   - 503 "service unavailable" on every secured endpoint while Redis is
//     down ([Server.SetRedisDown]): the seed checks the revocation set
//     first.
//
// Errors raised by connexion or Flask are RFC 7807 documents ([Problem]),
// application/problem+json: 401 "No authorization token provided"
// ([NoTokenDetail]) when a secured endpoint gets no bearer token, 400 for
// a body that fails the seed's schemas (an email, a password of 8 to 32
// characters with an upper-case letter, a lower-case letter and a digit, a
// role of basic or admin) or a missing required parameter, 415 for a body
// that is not JSON, 404 for an unknown path, 405 for another method, and
// 500 where the seed's code raises an error it does not handle.
//
// Where the seed cannot be followed, the fake chooses: a schema error
// never quotes the password (connexion does); an empty old_access_token is
// taken as missing.
//
// # Test hooks
//
// [WithClock] injects the clock that stamps and checks iat and exp;
// [WithAccessTTL] and [WithRefreshTTL] shorten the seed's 10-hour and
// 24-hour lifetimes; [WithSecrets] fixes the signing secrets (random by
// default). [Server.AddUser], [Server.VerifyEmail] and [Server.Promote]
// manage users without HTTP; [Server.Revoke] revokes a token as the server
// would; [Server.SetRedisDown] is an outage of the revocation set;
// [Server.Stats] counts what it answered.
//
// A Server is safe for concurrent use. Request bodies are read through a
// 1 MiB limit. Passwords, tokens and secrets are never logged.
//
// # A test of a program
//
//	func TestFilmsClient(t *testing.T) {
//		api, err := jwtapitest.New(jwtapitest.WithAccessTTL(time.Minute))
//		if err != nil {
//			t.Fatal(err)
//		}
//		if _, err := api.AddUser("luke@rebels.org", "Passw0rdLuke", jwtapitest.RoleBasic); err != nil {
//			t.Fatal(err)
//		}
//		ts := httptest.NewServer(api)
//		defer ts.Close()
//		// Point the program at ts.URL, run it, then check what the API saw:
//		if got := api.Stats(); got.Logins != 1 || got.TokenExpired != 0 {
//			t.Errorf("Stats() = %+v; want one login and no expired token sent", got)
//		}
//	}
package jwtapitest
