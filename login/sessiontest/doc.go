// Package sessiontest is a test kit: an in-memory copy of the
// cookie-session login server of seed 002 ("Secure RESTful APIs using
// Python"), as an [http.Handler], and the self-signed TLS certificate that
// server is run with, for testing a program that uses such a server (with
// package login, or a plain net/http client) offline, the way
// net/http/httptest serves a handler.
//
// It answers as the seed's Flask server does, status, headers, body and
// content type: a test compares the two, request by request, against the
// seed's code run by Flask. Only the Date and Server headers and the
// reason phrase of the status line ("403 FORBIDDEN" from Werkzeug) differ.
//
// # What it reproduces
//
// POST /login takes the form fields username and password:
//
//   - 401 "Verification failed", WWW-Authenticate: Basic realm="Login
//     required", when a field is missing or empty (a JSON body has none);
//   - 401 "Verification failed", realm "No such user", for an unknown user;
//   - 403 "Verification failed", realm "Password incorrect", for a wrong
//     password: a 403, not a 401, as the seed answers;
//   - 200 "Logged in" with three cookies, [CookieUsername], [CookieToken] (a
//     random URL-safe token, like Python's secrets.token_urlsafe(16)) and
//     [CookieLoginTimestamp] (the login time in Python's isoformat, read from
//     the clock), each with Path=/.
//
// Every text answer is labelled text/html; charset=utf-8, as Flask labels
// a string, and every connection is closed after its answer, as by the
// seed's development server.
//
// The server keeps one token per user, as the seed's auth_tokens dict does:
// a second login of the same user replaces the first session.
//
// GET /get-info answers {"Secret-number": 42} when the seed's one check,
// token != auth_tokens.get(username), finds them equal, with Python's None
// for an absent cookie; else 403 "<username> denied access to resource"
// (the name unescaped, None when absent), with no challenge. So, as on the
// seed's server, a request with no cookies at all gets the secret number,
// and the cookies of a session the server no longer has get the 403:
// after a second login of the user, or after a restart ([Server.Restart]).
// A client must log in again on 403 as well as 401: package login's
// SessionConfig.ReloginStatuses.
//
// Other paths get Werkzeug's 404 page; other methods its 405 page with
// Allow; OPTIONS an empty 200 with Allow; HEAD /get-info the GET's answer
// without its body.
//
// # Test hooks
//
// [Server.AddUser] adds users ([SeedUsers] lists the seed's three);
// [WithClock] sets the clock of the login timestamps; [Server.Restart]
// forgets every session, as the seed's process restarting does;
// [Server.FailNext] makes the next answers Flask's 500 page;
// [Server.Stats] counts what the server answered. A server that is down is
// an httptest.Server closed.
//
// [SelfSignedCert] makes a fresh ECDSA certificate for 127.0.0.1, ::1 and
// localhost at run time, and [NewTLSServer] starts an httptest server with
// it and returns it in PEM, for the client to trust (the seed's
// pubkey.pem).
//
// Passwords and tokens are never logged and never appear in an error.
//
// # A test of a program
//
//	func TestSecretNumber(t *testing.T) {
//		srv, err := sessiontest.New()
//		if err != nil {
//			t.Fatal(err)
//		}
//		if err := srv.AddUser("Alice", "alice_pw"); err != nil {
//			t.Fatal(err)
//		}
//		ts, certPEM, err := sessiontest.NewTLSServer(srv)
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer ts.Close()
//		// Point the program at ts.URL, trusting certPEM; restart the
//		// server in the middle of its run, then check what it saw:
//		srv.Restart()
//		if got := srv.Stats(); got.Logins != 2 {
//			t.Errorf("Stats() = %+v; want a login before the restart and one after", got)
//		}
//	}
package sessiontest
