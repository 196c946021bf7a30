package tokenrefresh

import (
	"errors"
	"time"
)

// ErrClosed is returned by [Refresher.Token] after [Refresher.Close] when no
// valid token is left to serve.
var ErrClosed = errors.New("tokenrefresh: refresher is closed")

// ErrNoToken is returned by [Store.Load] when the store holds no token.
var ErrNoToken = errors.New("tokenrefresh: store holds no token")

// ErrPermanent matches, with [errors.Is], every error marked with
// [Permanent]: an error that retrying cannot fix.
var ErrPermanent = errors.New("permanent")

// Permanent marks err as one that retrying cannot fix (a revoked token,
// invalid client credentials), so the Refresher stops retrying and reports
// it. A nil err gives nil.
//
// A RefreshFunc may instead return an error whose chain has a method
// Permanent() bool reporting true; bearer.APIError and the oauth package's
// errors do.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// IsPermanent reports whether err, or an error in its chain, is marked
// permanent by [Permanent] or by a method Permanent() bool.
func IsPermanent(err error) bool {
	if errors.Is(err, ErrPermanent) {
		return true
	}
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// retryAfter returns the delay a server asked for, found through a method
// RetryAfter() time.Duration in err's chain, or zero.
func retryAfter(err error) time.Duration {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter()
	}
	return 0
}

// redactedError carries a refresh failure to callers with the token values
// removed from its message; errors.Is and errors.As still see err.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
