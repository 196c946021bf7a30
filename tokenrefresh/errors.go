package tokenrefresh

import (
	"errors"
	"fmt"
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

// ErrInDoubt matches, with [errors.Is], every error marked with [InDoubt]:
// a refresh whose request may have been applied by the server although
// its answer was lost.
var ErrInDoubt = errors.New("tokenrefresh: the server may have applied the refresh")

// ErrLineageLost matches the error a Refresher reports when the server
// rejects a token after an earlier refresh of it was in doubt (see
// [InDoubt]): that refresh was applied, it killed the token, and its
// answer, the only copy of the new one, never arrived. No retry can
// recover the lineage; a new token or a new login is needed. The error
// also matches the rejection itself.
var ErrLineageLost = errors.New("tokenrefresh: lineage lost")

// InDoubt marks err as the failure of a refresh that the server may have
// applied: the request was sent, and then it timed out, the connection
// dropped, the server answered 5xx, or its answer could not be read. A
// rotating source (C2's Charon, rotating refresh tokens) returns it so
// that the Refresher remembers the doubt (in its [Store] too, across
// restarts) and, if the server then rejects the old token, reports
// [ErrLineageLost] rather than a plain rejection. The error is retried
// like any other. A nil err gives nil.
func InDoubt(err error) error {
	if err == nil {
		return nil
	}
	return &markedError{err: err, mark: ErrInDoubt}
}

// IsInDoubt reports whether err, or an error in its chain, is marked by
// [InDoubt].
func IsInDoubt(err error) bool { return errors.Is(err, ErrInDoubt) }

// markedError is err with a sentinel it matches in addition to its chain.
type markedError struct {
	err  error
	mark error
}

func (e *markedError) Error() string        { return e.err.Error() }
func (e *markedError) Unwrap() error        { return e.err }
func (e *markedError) Is(target error) bool { return target == e.mark }

// lineageLost is the permanent error reported when the server rejects a
// token whose last refresh was in doubt. Its message is redacted by the
// caller; it matches ErrLineageLost, ErrPermanent and the rejection.
func lineageLost(rejection error) error {
	return Permanent(&markedError{err: fmt.Errorf("tokenrefresh: lineage lost: an earlier refresh may have been applied by the server, "+
		"but its answer, the new token, never arrived, and the server now rejects the old token: %w", rejection), mark: ErrLineageLost})
}
