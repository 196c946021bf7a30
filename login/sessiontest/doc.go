// Package sessiontest is an in-memory copy of the cookie-session login server
// of seed 002 ("Secure RESTful APIs using Python"), as an [http.Handler] for
// tests and demos, plus the self-signed TLS certificate that server was run with.
//
// # What it reproduces
//
// POST /login takes the form fields username and password and answers like
// the seed's Flask server, status, header and body:
//
//   - 401, WWW-Authenticate: Basic realm="Login required", when a field is
//     missing or empty;
//   - 401, WWW-Authenticate: Basic realm="No such user", for an unknown user;
//   - 403, WWW-Authenticate: Basic realm="Password incorrect", for a wrong
//     password (a 403, not a 401: a fault of the seed, kept on purpose);
//   - 200 "Logged in" with three cookies, [CookieUsername], [CookieToken] (a
//     random URL-safe token, like Python's secrets.token_urlsafe(16)) and
//     [CookieLoginTimestamp] (the login time in Python's isoformat, read from
//     the injected clock), each with Path=/.
//
// The server keeps one token per user, as the seed's auth_tokens dict does: a
// second login of the same user replaces the first session, whose cookies then
// get 403.
//
// The protected endpoints read the cookies:
//
//   - GET /get-info answers {"Secret-number": 42}, as in the seed;
//   - GET /whoami answers {"username": ..., "login_timestamp": ...}.
//
// A cookie that does not match the server's token for that user gets 403
// "<username> denied access to resource", as in the seed. Missing cookies get
// 401 with WWW-Authenticate (the seed lets a request with no cookies at all
// through, because None equals None; this fake does not copy that hole).
//
// # What it adds
//
// Users are added with [Server.AddUser] ([SeedUsers] lists the seed's three).
// The clock is injected with [WithClock]; [WithSessionLifetime] ends a session
// that long after its login, and [Server.ResetSessions] ends every session at
// once, as if the server had lost its token table. A request on an ended
// session gets 401 (realm "Session expired" or "Session ended"), so a client
// knows to log in again. [Server.Stats] counts logins and rejections.
//
// [SelfSignedCert] makes a fresh ECDSA certificate for 127.0.0.1, ::1 and
// localhost at run time, and [NewTLSServer] starts an httptest server with
// it and returns the pool a client must trust: exactly that certificate.
//
// # Usage
//
//	srv, err := sessiontest.New(sessiontest.WithSessionLifetime(time.Hour))
//	if err != nil { ... }
//	for name, pw := range sessiontest.SeedUsers() {
//		srv.AddUser(name, pw)
//	}
//	ts, pool, err := sessiontest.NewTLSServer(srv)
//	if err != nil { ... }
//	defer ts.Close()
//	jar, _ := cookiejar.New(nil)
//	client := &http.Client{Jar: jar, Transport: &http.Transport{
//		TLSClientConfig: &tls.Config{RootCAs: pool},
//	}}
//
// Passwords and tokens are never logged and never appear in an error.
package sessiontest
