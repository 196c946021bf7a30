package login

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/bearer-go/bearer"
)

// Sentinel categories of [*Error], for callers that branch on them:
// errors.Is(err, login.ErrCredentialsRefused).
var (
	// ErrCredentialsRefused: the login endpoint refused the credentials
	// (a 4xx other than 408 and 429). The client does not try them again.
	ErrCredentialsRefused = errors.New("login: credentials refused")
	// ErrLoginRequired: a new login is needed (the refresh token expired or
	// was revoked, or the server called the access token invalid) and the
	// client holds no credentials to do it.
	ErrLoginRequired = errors.New("login: log in again")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("login: client is closed")
)

// Error is a failed login, token refresh or logout. Err is the cause: a
// [*bearer.APIError] (with the credentials and tokens redacted from every
// field), a [*bearer.RequestError] when no answer came, a
// [*bearer.RedirectError] (a login is never redirected), or another
// error.
//
// It implements Permanent() bool and RetryAfter() time.Duration, which
// tokenrefresh uses to stop or pace its retries.
type Error struct {
	Op  string // what failed: "login", "refresh" or "logout"
	Err error  // the cause

	kind   error  // ErrCredentialsRefused, ErrLoginRequired, or nil
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
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.advice != "" {
		b.WriteString(": ")
		b.WriteString(e.advice)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e belongs to the category target:
// [ErrCredentialsRefused] or [ErrLoginRequired].
func (e *Error) Is(target error) bool { return e.kind != nil && target == e.kind }

// Permanent reports whether repeating the request cannot succeed: refused
// credentials, a needed login without credentials, a configuration or
// answer this package cannot use, an untrusted server certificate, or an
// answer the cause calls permanent (a 4xx other than 408 and 429).
func (e *Error) Permanent() bool {
	var cert *bearer.UntrustedCertificateError
	var p interface{ Permanent() bool }
	return e.final || e.kind != nil || errors.As(e.Err, &cert) || (errors.As(e.Err, &p) && p.Permanent())
}

// RetryAfter returns the delay the server asked for with Retry-After, or
// zero.
func (e *Error) RetryAfter() time.Duration {
	var ae *bearer.APIError
	if errors.As(e.Err, &ae) {
		return ae.RetryAfter
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

// failure wraps err from op into an [*Error], classifying an API answer
// with refused (the category of a permanent 4xx) and advising as the
// answer calls for. err is already redacted: the exchange layer redacts
// every answer with the client's registry.
func failure(op string, err error, refused error, refusedAdvice string) *Error {
	e := &Error{Op: op, Err: err}
	var ae *bearer.APIError
	switch {
	case errors.As(err, &ae) && ae.Permanent():
		e.kind, e.advice = refused, refusedAdvice
	case errors.As(err, &ae):
		e.advice = "the server failed; it is tried again later"
	}
	return e
}
