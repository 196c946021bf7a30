package keeper

import (
	"sync/atomic"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// The kinds of failure (see [tokenrefresh.FailureKind]), as /metrics
// and the OpenTelemetry adapter name them.
const (
	FailurePermanent = string(tokenrefresh.FailurePermanent)
	FailureInDoubt   = string(tokenrefresh.FailureInDoubt)
	FailureTemporary = string(tokenrefresh.FailureTemporary)
)

// FailureKinds lists the kinds of failure in the order /metrics writes
// them.
var FailureKinds = []string{FailurePermanent, FailureInDoubt, FailureTemporary}

// failureKind classifies a failed attempt's error.
func failureKind(err error) string { return string(tokenrefresh.FailureKindOf(err)) }

// Counts are what a Keeper has learnt from its source's events since it
// started, for /metrics, /healthz and bearer status.
type Counts struct {
	// Refreshes counts the tokens this process obtained (Refreshed).
	Refreshes int64 `json:"refreshes"`
	// Adoptions counts the tokens another process saved in the shared
	// store, or a bearer login, taken up (Adopted).
	Adoptions int64 `json:"adoptions"`
	// Failures counts failed attempts by kind (Failed).
	Failures map[string]int64 `json:"failures"`
	// Rejections counts the tokens the server rejected and that were
	// replaced (Rejected); RejectionsLimited those it rejected too soon
	// after the last replacement, which were kept (RejectionLimited).
	Rejections        int64 `json:"rejections"`
	RejectionsLimited int64 `json:"rejections_limited"`
	// Holds counts the planned rotations that held callers back from the
	// token about to be rotated (Held).
	Holds int64 `json:"holds"`
}

// events counts a source's events. Its fields are atomic: the source
// calls Observe from its own goroutine and from callers'.
type events struct {
	refreshes, adoptions, holds   atomic.Int64
	rejections, rejectionsLimited atomic.Int64
	failures                      [3]atomic.Int64 // in the order of FailureKinds
	// lost is set by Lost, and by any permanent failure (Lost comes once
	// per Refresher), and cleared when a token is published again.
	lost atomic.Bool
	next tokenrefresh.Observer // receives each event once counted; may be nil
}

// Observe counts e.
func (ev *events) Observe(e tokenrefresh.Event) {
	switch e.Kind {
	case tokenrefresh.Refreshed:
		ev.refreshes.Add(1)
		ev.lost.Store(false)
	case tokenrefresh.Adopted:
		if e.Retry.IsZero() { // with Retry, only a plan was adopted
			ev.adoptions.Add(1)
			ev.lost.Store(false)
		}
	case tokenrefresh.Failed:
		kind := failureKind(e.Err)
		for i, k := range FailureKinds {
			if k == kind {
				ev.failures[i].Add(1)
			}
		}
		if kind == FailurePermanent {
			ev.lost.Store(true)
		}
	case tokenrefresh.Lost:
		ev.lost.Store(true)
	case tokenrefresh.Rejected:
		ev.rejections.Add(1)
	case tokenrefresh.RejectionLimited:
		ev.rejectionsLimited.Add(1)
	case tokenrefresh.Held:
		ev.holds.Add(1)
	}
	if ev.next != nil {
		ev.next.Observe(e)
	}
}

// counts returns a snapshot of the counts.
func (ev *events) counts() Counts {
	c := Counts{Refreshes: ev.refreshes.Load(), Adoptions: ev.adoptions.Load(), Holds: ev.holds.Load(),
		Rejections: ev.rejections.Load(), RejectionsLimited: ev.rejectionsLimited.Load(), Failures: map[string]int64{}}
	for i, k := range FailureKinds {
		c.Failures[k] = ev.failures[i].Load()
	}
	return c
}
