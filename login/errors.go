package login

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/bearer-go/bearer"
)

// Sentinel categories of [*Error], for callers that branch on them:
// errors.Is(err, login.ErrCredentialsRefused).
var (
	// ErrCredentialsRefused: the login endpoint refused the login (a 4xx
	// other than 408 and 429), such as seed 002's 403 "Password incorrect"
	// or seed 004's 404 not-found. The client does not try again.
	ErrCredentialsRefused = errors.New("login: credentials refused")
	// ErrAlreadyLoggedIn: the login endpoint refused a login because the
	// user has a session already, with one of TokenConfig's
	// AlreadyLoggedInCodes (seed 004's 400 user-already-logged-in, which it
	// sends until that session logs out). The credentials may be right;
	// the client does not try again.
	ErrAlreadyLoggedIn = errors.New("login: the user is logged in already")
	// ErrLoginRequired: a new login is needed (the refresh token expired or
	// was revoked, or the server called the access token invalid) and the
	// client holds no credentials to do it.
	ErrLoginRequired = errors.New("login: log in again")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("login: client is closed")
)

// Error is a failed login, token refresh or logout.
//
// Response is the server's error answer, when there was one, with the
// credentials and tokens redacted from every field. It is not in the
// Unwrap chain: a refused login matches [ErrCredentialsRefused] (or
// [ErrAlreadyLoggedIn]), never bearer.ErrForbidden or
// bearer.ErrUnauthorized, which say what an API thinks of a token (seed
// 002 refuses a wrong password with a 403). Read it with errors.As and a
// *login.Error.
//
// Err is the cause when no answer could be used: a [*bearer.RequestError]
// when none came, a [*bearer.RedirectError] (a login is never
// redirected), an untrusted certificate, or a configuration or answer this
// package cannot use.
//
// It implements Permanent() bool and RetryAfter() time.Duration, which
// tokenrefresh uses to stop or pace its retries.
type Error struct {
	Op       string           // what failed: "login", "refresh" or "logout"
	Response *bearer.APIError // the server's answer, redacted; nil if none
	Err      error            // the cause when there is no Response

	kind   error  // ErrCredentialsRefused, ErrAlreadyLoggedIn, ErrLoginRequired, or nil
	advice string // what to do, in lower case; may be empty
	final  bool   // retrying cannot help, whatever the cause says
}

// opPhrase says what each Op was doing, for messages.
var opPhrase = map[string]string{"login": "log in", "refresh": "refresh the token", "logout": "log out"}

// Error returns a one-line description with what to do.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("login: ")
	b.WriteString(opPhrase[e.Op])
	switch {
	case e.Response != nil:
		b.WriteString(": ")
		b.WriteString(e.Response.Error())
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.advice != "" {
		b.WriteString(": ")
		b.WriteString(e.advice)
	}
	return b.String()
}

// Unwrap returns Err, the cause when there is no Response.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e belongs to the category target:
// [ErrCredentialsRefused], [ErrAlreadyLoggedIn] or [ErrLoginRequired].
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }

// Realm returns the realm of the first WWW-Authenticate challenge of the
// server's answer that has one, or "": seed 002 says there why it refused
// a login ("Password incorrect", "No such user", "Login required").
func (e *Error) Realm() string {
	if e.Response == nil {
		return ""
	}
	for _, c := range e.Response.Challenges {
		if r := c.Params["realm"]; r != "" {
			return r
		}
	}
	return ""
}

// Permanent reports whether repeating the request cannot succeed: a
// refused login, a needed login without credentials, a configuration or
// answer this package cannot use, an untrusted server certificate, or an
// answer that is a 4xx other than 408 and 429.
func (e *Error) Permanent() bool {
	var cert *bearer.UntrustedCertificateError
	var p interface{ Permanent() bool }
	return e.final || e.kind != nil || (e.Response != nil && e.Response.Permanent()) ||
		errors.As(e.Err, &cert) || (errors.As(e.Err, &p) && p.Permanent())
}

// RetryAfter returns the delay the server asked for with Retry-After, or
// zero.
func (e *Error) RetryAfter() time.Duration {
	if e.Response != nil {
		return e.Response.RetryAfter
	}
	return 0
}

// PermissionError is an answer that says the caller's account lacks a role
// or permission: a 403, or a code such as seed 004's
// authorisation-required (which that server sends with a 401). A new token
// would not help, so the client neither refreshes nor retries; it matches
// [bearer.ErrForbidden] with errors.Is. Response is redacted, as every
// APIError is.
//
// The server's answer is in Response. It is not in the Unwrap chain, so
// that an answer sent as 401 does not also match bearer.ErrUnauthorized.
type PermissionError struct {
	Response *bearer.APIError // the answer, redacted
}

// Error names the request and the server's code, and says what to do.
func (e *PermissionError) Error() string {
	r := e.Response
	what := fmt.Sprintf("%d %s", r.StatusCode, http.StatusText(r.StatusCode))
	if r.Code != "" {
		what += ": " + r.Code
	}
	if r.Message != "" && r.Message != r.Code {
		what += ": " + r.Message
	}
	return fmt.Sprintf("login: permission denied: %s %s: %s: the account lacks a role or permission this endpoint needs, and a new token will not help: ask for it to be granted",
		r.Method, r.URL, what)
}

// Is reports whether target is [bearer.ErrForbidden].
func (e *PermissionError) Is(target error) bool { return target == bearer.ErrForbidden }

// Permanent reports true: retrying cannot grant a permission.
func (e *PermissionError) Permanent() bool { return true }

// newError wraps err, from the request of op, into an [*Error]: an answer
// of the server goes to Response. err is already redacted: the exchange
// layer redacts every answer with the client's registry.
func newError(op string, err error) *Error {
	e := &Error{Op: op, Err: err}
	var ae *bearer.APIError
	if errors.As(err, &ae) {
		e.Err, e.Response = nil, ae
	}
	return e
}

// loginError classifies a failed login: a login refused because the user
// has a session (one of alreadyCodes), refused credentials (any other
// permanent answer), or a failure that may pass.
func loginError(err error, alreadyCodes []string) *Error {
	e := newError("login", err)
	r := e.Response
	switch {
	case r == nil:
	case r.Code != "" && slices.Contains(alreadyCodes, r.Code):
		e.kind = ErrAlreadyLoggedIn
		e.advice = "the server refuses a new login while this user is logged in (until that session logs out): " +
			"log that session out, or keep this client's tokens across restarts (TokenConfig.Refresher.Store) so that a restart " +
			"resumes them instead of logging in; the login is not sent again"
	case r.Permanent() && credentialStatus(r.StatusCode):
		e.kind, e.advice = ErrCredentialsRefused, "check the username and password (and Login.Path); they are not sent again"
	case r.Permanent():
		e.kind, e.advice = ErrCredentialsRefused, "the server refused the login (see its answer); the credentials are not sent again"
	default:
		e.advice = "the server failed; the login is tried again later"
	}
	return e
}

// credentialStatus reports whether a refused login's status is one that
// servers give wrong credentials: 401, 403 (seed 002's wrong password),
// 404 (seed 004's unknown user or wrong password).
func credentialStatus(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusNotFound
}
