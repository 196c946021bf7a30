package tokenrefresh

import (
	"fmt"
	"time"
)

// An EventKind says what happened to a Refresher's token.
type EventKind int

// The kinds of [Event].
const (
	// Refreshed: an attempt obtained a new token, which is saved and
	// published. Start and Duration time the attempt; Expiry is the new
	// token's.
	Refreshed EventKind = iota + 1
	// Failed: an attempt failed and will be retried. Start and Duration
	// time it, Err says why, Failures counts the failures in a row, and
	// Retry is when the next attempt is planned.
	Failed
	// Lost: the token cannot be kept alive any more (a permanent failure,
	// see [Permanent]): [Refresher.Lost] is closed. Err says why and what
	// to do.
	Lost
	// StoreUnavailable: the store could not be used; Err says why. The
	// current token is served meanwhile.
	StoreUnavailable
	// StoreRecovered: the store answers again.
	StoreRecovered
	// Held: callers are held back from the current token for its planned
	// rotation (see [Config.Fence]), until Retry at most. Sent once per
	// planned rotation.
	Held
	// Adopted: a token another process saved in the shared store is
	// published in place of ours, or (with Retry set) the moment another
	// process planned for the rotation of the current token is taken up
	// (see [Entry.Due]).
	Adopted
	// Rejected: the server rejected the current token
	// ([Refresher.Invalidate]); it is replaced.
	Rejected
	// RejectionLimited: the server rejected the current token, but it was
	// replaced too recently after earlier rejections: it is kept, and the
	// rejection goes back to the caller. Retry is when a rejection may
	// replace it again.
	RejectionLimited
)

func (k EventKind) String() string {
	switch k {
	case Refreshed:
		return "refreshed"
	case Failed:
		return "failed"
	case Lost:
		return "lost"
	case StoreUnavailable:
		return "store unavailable"
	case StoreRecovered:
		return "store recovered"
	case Held:
		return "held"
	case Adopted:
		return "adopted"
	case Rejected:
		return "rejected"
	case RejectionLimited:
		return "rejection limited"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// An Event is something that happened to a Refresher's token, for logs,
// metrics, traces and tests. It carries no secret: Err's message has every
// token value the Refresher knows removed.
type Event struct {
	Kind EventKind
	// At is when it happened, on the Refresher's clock.
	At time.Time
	// Start and Duration time the attempt of a Refreshed or Failed event;
	// zero for the others.
	Start    time.Time
	Duration time.Duration
	// Expiry is the expiry of the token a Refreshed or Adopted event
	// published; zero if it has none.
	Expiry time.Time
	// Retry is when the next attempt is planned (Failed), when the hold
	// ends at the latest (Held), or the moment of rotation a fleet agreed
	// (Adopted); zero otherwise.
	Retry time.Time
	// Failures counts the failed attempts in a row, this one included
	// (Failed, Lost).
	Failures int
	// Err says what went wrong (Failed, Lost, StoreUnavailable), without
	// secrets; nil otherwise. errors.Is and errors.As see the cause.
	Err error
}

// An Observer receives a Refresher's events. Observe is called from the
// Refresher's goroutine and from callers of Token and Invalidate, never
// with a lock held; it must be safe for concurrent use and return quickly
// (hand the event to a channel or a metrics library; never block on I/O).
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to an [Observer].
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// observe hands e to the configured Observer, stamped with the time.
func (r *Refresher) observe(e Event) {
	if r.cfg.Observer == nil {
		return
	}
	if e.At.IsZero() {
		e.At = r.cfg.Clock.Now()
	}
	r.cfg.Observer.Observe(e)
}

// A FailureKind says what a failed attempt means for the lineage, for
// metrics and logs: the names are those the observability adapters and
// bearer serve's /metrics use.
type FailureKind string

// The kinds of failure.
const (
	// FailurePermanent: retrying cannot help ([IsPermanent]); a person
	// must act (a new token, new credentials).
	FailurePermanent FailureKind = "permanent"
	// FailureInDoubt: the server may have applied the request without
	// its answer arriving ([IsInDoubt]).
	FailureInDoubt FailureKind = "in_doubt"
	// FailureTemporary: anything else; it is retried.
	FailureTemporary FailureKind = "temporary"
)

// FailureKinds lists every FailureKind, in a fixed order.
var FailureKinds = []FailureKind{FailurePermanent, FailureInDoubt, FailureTemporary}

// FailureKindOf classifies the error of a failed attempt (an [Event]'s
// Err).
func FailureKindOf(err error) FailureKind {
	switch {
	case IsPermanent(err):
		return FailurePermanent
	case IsInDoubt(err):
		return FailureInDoubt
	}
	return FailureTemporary
}
