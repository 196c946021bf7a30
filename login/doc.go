// Package login keeps a program logged in to APIs that are not OAuth
// servers: APIs with a login endpoint of their own that answers with a
// session cookie, or with an access token and a refresh token in fields of
// their own choosing, and that tell why they reject a request with codes
// of their own (token-expired, token-invalid, authorisation-required).
//
// A [Client] wraps a bearer.Client: it has the same NewRequest, Do,
// Stream, Get, Post, Put, Patch and Delete, returns the same
// *bearer.APIError, and retries as it does; [WithBearerOptions] passes it
// options, such as bearer.WithTrustedPEM to trust a server's own
// certificate. The login is the bearer.Client's token source: it tells the
// bearer.Client what an error answer means (a bearer.RejectionPolicy), and
// the bearer.Client replays the request, so there is one replay path in
// the SDK. What it adds is the login:
//
//   - [NewSessionClient] posts the credentials described by a [Request]
//     (path, method, form or JSON, field names) and keeps the cookies the
//     server sets, in a jar that sends them back to the API's host only.
//     When an answer says the session ended (a 401 by default; the
//     statuses and codes of [SessionConfig]), it logs in again, once for
//     all the requests that saw it, and sends the request once more.
//     Seed 002's server says so with a 403 too: it answers the cookies of
//     a session it no longer has (after a restart, or another login of the
//     user) 403 "<user> denied access to resource", so configure
//     ReloginStatuses 401 and 403 for it, as below.
//   - [NewTokenClient] logs in for an access token and a refresh token,
//     read from the answer's fields ([TokenConfig]), and keeps the access
//     token alive with a tokenrefresh.Refresher: refreshed in the
//     background before it expires (the earlier of expires_in and the
//     JWT's exp, read without verifying it), by presenting the refresh
//     token as the API wants it ([TokenRequest], with extra parameters:
//     seed 004 wants the access token being replaced as old_access_token).
//     The server's codes decide what a rejection means: token-expired,
//     token-invalid and any other 401 refresh the token (then log in
//     again if the refresh token is refused too), each followed by one
//     more try of the request; authorisation-required and any 403 are a
//     [*PermissionError], which matches bearer.ErrForbidden and is never
//     retried. [Client.Close] (or [Client.Logout], within a context) logs
//     out when a Logout request is configured, trying again while the
//     server fails (seed 004 answers 503 while its Redis is down).
//
// Logins are never sent in a storm: refused credentials are sent once and
// give [ErrCredentialsRefused] from then on, with the server's answer and
// reason (seed 002's realm, "Password incorrect"), matching neither
// bearer.ErrForbidden nor bearer.ErrUnauthorized, which are about tokens;
// a login refused because the user is logged in already (seed 004's
// user-already-logged-in) gives [ErrAlreadyLoggedIn]; other login failures
// are retried with backoff (by the Refresher for tokens; from
// [LoginRetryMin] to [LoginRetryMax] for sessions).
//
// Credentials are held in memory only. They, the tokens and the session's
// cookies never appear in errors or logs: the config types print the
// password as REDACTED, and the client keeps one registry of every secret
// it has sent or received, with which every error and log line is
// redacted, also when a server quotes one in an error answer. Logins,
// refreshes and logouts go through the bearer.Client's transport, over
// https, or plain http to this machine only (checked where the connection
// goes, not from the host's name) unless bearer.WithInsecureHTTP allows
// more, and never follow a redirect.
//
// A session API (seed 002's Flask server, which serves TLS with its own
// certificate and says a session ended with 401 or 403):
//
//	c, err := login.NewSessionClient("https://localhost:5001", login.SessionConfig{
//		Login:           login.Request{Path: "/login"}, // form fields username, password
//		Credentials:     login.Credentials{Username: user, Password: secret.New(password)},
//		ReloginStatuses: []int{http.StatusUnauthorized, http.StatusForbidden},
//	}, login.WithBearerOptions(bearer.WithTrustedPEMFile("pubkey.pem")))
//	if err != nil { ... }
//	defer c.Close()
//	var info struct{ Secret int `json:"Secret-number"` }
//	err = c.Get(ctx, "/get-info", &info) // logs in first; again after a restart of the server
//	if errors.Is(err, login.ErrCredentialsRefused) { ... } // err's *login.Error has the answer and Realm()
//
// A token API (seed 004):
//
//	c, err := login.NewTokenClient(ctx, "https://api.example.com", login.TokenConfig{
//		Login:       login.Request{Path: "/users/v1/login", UsernameField: "email"},
//		Credentials: login.Credentials{Username: email, Password: secret.New(password)},
//		Refresh: login.TokenRequest{Method: "GET", Path: "/users/v1/generate_tokens",
//			TokenQuery: map[string]login.TokenKind{"old_access_token": login.AccessToken}},
//		Logout: login.TokenRequest{Method: "GET", Path: "/users/v1/logout"},
//	})
//	if err != nil { ... }
//	defer c.Close() // logs out
//	err = c.Get(ctx, "/films/v1/", &films)
//	if errors.Is(err, bearer.ErrForbidden) { ... } // a *login.PermissionError
//
// Seed 004's server allows one session per user until it logs out, and
// cannot refresh an access token that has expired (its code fails with a
// 500): the client refreshes in the early window before expiry, and a
// program that stops and starts again should keep its tokens in
// TokenConfig.Refresher.Store, so that it resumes them instead of logging
// in (refused with ErrAlreadyLoggedIn). The packages
// [github.com/bearer-go/bearer/login/sessiontest] and
// [github.com/bearer-go/bearer/login/jwtapitest] serve the two seeds'
// servers as they answer, for tests.
package login
