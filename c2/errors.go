package c2

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Sentinel errors, for callers that branch with [errors.Is].
var (
	// ErrTokenRejected: C2 answered 401 to the token. It was revoked, went
	// unused for an hour, or was rotated by someone else; no retry can
	// revive it. Issue a new token at {API root}/charon/tokens/issue.
	ErrTokenRejected = errors.New("c2: token rejected")

	// ErrRotationLost: a rotation reached Charon but its answer, the new
	// token, never came back (the connection dropped or timed out after the
	// request was sent, or Charon answered 5xx or without a token), and
	// Charon then rejected the old token, which the rotation had killed.
	// The lineage cannot be recovered: issue a new token. The client
	// reports it once and does not retry. It is
	// tokenrefresh.ErrLineageLost, and an error that matches it also
	// matches ErrTokenRejected (Charon did reject the old token): test for
	// it first.
	ErrRotationLost = tokenrefresh.ErrLineageLost
)

// PermissionError is a 403 answer: the token is valid but the account
// lacks a permission, which C2 names. A new token will not help: ask the C2
// team to grant it. It matches bearer.ErrForbidden with [errors.Is].
type PermissionError struct {
	// Permission is the server's description of what is missing, such as
	// "Missing permission: view platform slocum/unit_398"; empty if it
	// gave none.
	Permission string
	// Err is the 403 answer.
	Err *bearer.APIError
}

func (e *PermissionError) Error() string {
	what := e.Permission
	if what == "" {
		what = "the server did not say which permission is missing"
	}
	return fmt.Sprintf("c2: %s %s: permission denied: %s: ask the C2 team (c2@noc.ac.uk) to grant it to your account",
		e.Err.Method, e.Err.URL, what)
}

// Unwrap returns the 403 answer.
func (e *PermissionError) Unwrap() error { return e.Err }

// rejectedError is a 401 from a C2 API other than Charon: the token is
// dead. It matches ErrTokenRejected and unwraps to the answer.
type rejectedError struct {
	err      error
	issueURL string
}

func (e *rejectedError) Error() string {
	return fmt.Sprintf("c2: the token was rejected (revoked, unused for an hour, or rotated elsewhere): issue a new one at %s: %v",
		e.issueURL, e.err)
}

func (e *rejectedError) Unwrap() []error { return []error{ErrTokenRejected, e.err} }

// apiError converts an error from the API client: a 403 into a
// [*PermissionError], a 401 into one matching [ErrTokenRejected]. Others
// are returned as they are.
func (c *Client) apiError(err error) error {
	var ae *bearer.APIError
	if !errors.As(err, &ae) {
		return err
	}
	switch ae.StatusCode {
	case http.StatusForbidden:
		return &PermissionError{Permission: ae.Message, Err: ae}
	case http.StatusUnauthorized:
		return &rejectedError{err: err, issueURL: c.issueURL}
	}
	return err
}

// rotationError is a failed rotation. Its message is redacted; it matches
// its sentinel (if any) and unwraps to the cause. RetryAfter passes the
// server's Retry-After to the Refresher's backoff.
type rotationError struct {
	msg        string
	sentinel   error // ErrTokenRejected, or nil
	err        error
	retryAfter time.Duration
}

func (e *rotationError) Error() string { return e.msg }

func (e *rotationError) Unwrap() []error {
	if e.sentinel == nil {
		return []error{e.err}
	}
	return []error{e.sentinel, e.err}
}

// RetryAfter is the wait the server asked for, which tokenrefresh
// passes to the backoff.
func (e *rotationError) RetryAfter() time.Duration { return e.retryAfter }
