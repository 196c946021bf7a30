package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinel categories of [*Error], for callers that branch on them:
// errors.Is(err, oauth.ErrInvalidGrant).
var (
	// ErrInvalidClient: the server does not know the client or refused its
	// credentials (RFC 6749 5.2 invalid_client, unauthorized_client).
	ErrInvalidClient = errors.New("oauth: invalid client")
	// ErrInvalidGrant: the password, authorization code or refresh token
	// was refused (RFC 6749 5.2 invalid_grant, and FastAPI Users'
	// LOGIN_BAD_CREDENTIALS and LOGIN_USER_NOT_VERIFIED).
	ErrInvalidGrant = errors.New("oauth: invalid grant")
	// ErrAccessDenied: the user or the server refused the authorization
	// (RFC 6749 4.1.2.1 access_denied).
	ErrAccessDenied = errors.New("oauth: access denied")
)

// Error is an error answer of an OAuth server: an RFC 6749 5.2 error
// document (also when it arrives with status 200), a FastAPI
// {"detail": …} answer, any other non-2xx answer, or the error= of an
// authorization callback (RFC 6749 4.1.2.1). It is read by the SDK's one
// parser of error answers, which bearer.APIError shares: JSON, every
// WWW-Authenticate challenge, plain text, HTML pages, form-encoded
// answers. Every secret the client has seen (its credentials, in every
// encoding, a Basic header included; the tokens it received) and every
// value the answer labels secret are removed from every field before
// anything is cut.
//
// It implements Permanent() bool and RetryAfter() time.Duration, which
// tokenrefresh uses to stop or pace its retries.
type Error struct {
	// Endpoint names the URL that answered, without its query.
	Endpoint string
	// StatusCode is the HTTP status; zero for an authorization callback.
	StatusCode int
	// Code is the RFC 6749 error code, such as "invalid_grant", or a
	// FastAPI detail code, such as "LOGIN_BAD_CREDENTIALS"; empty if the
	// server gave none.
	Code string
	// Description is the server's error_description, or another
	// human-readable message it gave.
	Description string
	// URI is the server's error_uri.
	URI string
	// Body is the start of the response body, at most MaxErrorBody bytes.
	Body string

	retryAfter time.Duration
	realm      string // the realm of the answer's WWW-Authenticate challenge, if any
}

// Error returns a one-line description, with advice when the user must
// act. It never includes Body.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth: ")
	if e.StatusCode == 0 {
		fmt.Fprintf(&b, "authorization at %s failed", e.Endpoint)
	} else {
		fmt.Fprintf(&b, "%s answered %d %s", e.Endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	}
	for _, s := range []string{e.Code, e.Description} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if e.URI != "" {
		fmt.Fprintf(&b, " (see %s)", e.URI)
	}
	if e.realm != "" && !strings.Contains(e.Description, e.realm) {
		fmt.Fprintf(&b, " (realm %q)", e.realm)
	}
	if advice := e.advice(); advice != "" {
		b.WriteString(": ")
		b.WriteString(advice)
	}
	return b.String()
}

func (e *Error) advice() string {
	switch {
	case e.Is(ErrInvalidClient):
		return "check the client id and its secret or key"
	case e.Is(ErrInvalidGrant):
		return "check the credentials, or log in again for a new code or refresh token"
	case e.Is(ErrAccessDenied):
		return "the authorization was refused; try again and approve it"
	}
	return ""
}

// Is reports whether e belongs to the category target: [ErrInvalidClient],
// [ErrInvalidGrant] or [ErrAccessDenied].
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalidClient:
		return e.Code == "invalid_client" || e.Code == "unauthorized_client"
	case ErrInvalidGrant:
		return e.Code == "invalid_grant" || e.Code == "LOGIN_BAD_CREDENTIALS" || e.Code == "LOGIN_USER_NOT_VERIFIED"
	case ErrAccessDenied:
		return e.Code == "access_denied"
	}
	return false
}

// transientCodes are RFC 6749 and RFC 8628 codes that say "try later".
var transientCodes = map[string]bool{
	"server_error": true, "temporarily_unavailable": true, "slow_down": true,
}

// permanentCodes say that repeating the request cannot succeed.
var permanentCodes = map[string]bool{
	"invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "invalid_request": true,
	"access_denied": true, "unsupported_response_type": true, "unsupported_token_type": true,
	"LOGIN_BAD_CREDENTIALS": true, "LOGIN_USER_NOT_VERIFIED": true,
}

// Permanent reports whether repeating the request cannot succeed: a 408 or
// 429 is never permanent; otherwise a code that says so decides
// (invalid_client, invalid_grant, unauthorized_client, bad credentials are
// permanent; server_error, temporarily_unavailable are not); otherwise any
// 4xx is permanent.
func (e *Error) Permanent() bool {
	switch {
	case e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests:
		return false
	case transientCodes[e.Code]:
		return false
	case permanentCodes[e.Code]:
		return true
	}
	return e.StatusCode >= 400 && e.StatusCode < 500
}

// RetryAfter returns the delay the server asked for with Retry-After, or
// zero.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }
