// Package jwtapitest is an in-memory copy of the JWT-secured API server of
// seed 004 (the Fathat "starwars-api" Flask/connexion backend), as an
// [http.Handler] for tests and demos. Paths, field names, claims and error
// documents are the seed project's; its MySQL users and Redis revocation set
// are maps in memory.
//
// # Endpoints
//
//	POST /users/v1/signup          {"email", "password", "access_role"?} → LoginResponse
//	POST /users/v1/login           {"email", "password"}                 → LoginResponse
//	GET  /users/v1/generate_tokens Bearer refresh token [?old_access_token=] → RefreshResponse
//	GET  /users/v1/logout          Bearer access token (basic)           → {}
//	GET  /films/v1/                Bearer access token (basic)           → FilmList
//	GET  /films/v1/{film_id}       Bearer access token (basic)           → Film
//	GET  /users/v1/{user_id}       Bearer access token (admin)           → User
//
// Signup and login answer {"email", "refresh_token", "token", "user_id"}.
// Tokens are HS256 JWTs with the seed's claims (see [Claims]): access tokens
// carry standard_claim and are signed with one secret, refresh tokens carry
// refresh_claim and are signed with another, so neither opens the other's
// endpoints. A refresh returns a new pair and revokes the refresh token used;
// a login revokes the previous login's refresh token; logout revokes the
// access token and the current refresh token.
//
// # Errors, as the seed sends them
//
// Errors raised by the seed's code are {"message": "<code>", "status": "error"}
// ([ErrorBody]), with these codes:
//
//   - 401 token-expired: exp has passed on the server's clock;
//   - 401 token-invalid: bad signature, the wrong kind of token, a revoked
//     token (checked first, so a revoked token that has also expired is
//     still token-invalid), or a malformed one;
//   - 401 authorisation-required: a valid token whose role is too low. The
//     seed answers 401, not 403, to a lack of permission; so does this fake;
//   - 404 not-found: an unknown film or user, and every failed login: the
//     seed's login turns a wrong password into not-found too;
//   - 400 user-already-exists, 404 user-not-found.
//
// Errors raised by connexion before the seed's code runs are RFC 7807
// documents ([Problem]): 401 "No authorization token provided" ([NoTokenDetail])
// when a secured endpoint gets no bearer token, 400 for a body that fails the
// seed's schemas (an email, a password of 8 to 32 characters with an
// upper-case letter, a lower-case letter and a digit, a role of basic or
// admin), 415 for a body that is not JSON, 404 for an unknown path.
//
// Where the seed is broken, the fake chooses: a token with an unknown role
// is token-invalid (the seed fails with a 500); a schema error never quotes
// the password (connexion does); generate_tokens does not require
// old_access_token (the seed's openapi.yaml does, then crashes on it). As
// the seed's schema allows, anyone may sign up as admin.
//
// # What it adds
//
// [WithClock] injects the clock that stamps and checks iat and exp;
// [WithAccessTTL] and [WithRefreshTTL] shorten the seed's 10-hour and 24-hour
// lifetimes; [WithSecrets] fixes the signing secrets (random by default).
// [Server.AddUser] and [Server.Promote] manage users without HTTP;
// [Server.Revoke] revokes a token as if the server had; [Server.Stats] counts
// sign-ups, logins, refreshes, logouts and 401s by code.
//
// A Server is safe for concurrent use. Request bodies are read through a
// 1 MiB limit. Passwords, tokens and secrets are never logged.
//
// # Usage
//
//	api, err := jwtapitest.New(jwtapitest.WithAccessTTL(time.Minute), jwtapitest.WithClock(clock.Now))
//	if err != nil { ... }
//	ts := httptest.NewServer(api)
//	defer ts.Close()
//	// POST ts.URL+jwtapitest.PathSignup with {"email": ..., "password": ...}, then
//	// GET ts.URL+jwtapitest.PathFilms with "Authorization: Bearer <token>".
package jwtapitest
