// Package rejectlimit bounds how often a credential is replaced because a
// server rejected it: a server that answers 401 to every request gets a
// few refreshes, rotations or logins, not one per request.
//
// A [Limiter] allows a replacement at most once per interval. The
// interval starts at the limiter's minimum and doubles, up to its maximum,
// while the credentials it let in keep being rejected in turn; a
// rejection of any other credential (one obtained before the last
// replacement it allowed, such as a token another process rotated, or
// one obtained on schedule long after it) brings the interval back to
// the minimum.
//
// When Allow says no, the caller keeps its credential and hands the
// rejection to whoever made the request: a 401 the server will answer to
// any token is returned at once, rather than after a refresh.
//
// Usage, in a token source (tokenrefresh.Refresher does this) or a login
// session:
//
//	lim := rejectlimit.New(rejectlimit.DefaultMin, rejectlimit.DefaultMax)
//	// on a 401 for the credential obtained at issued:
//	if !lim.Allow(now, issued) {
//		return resp // the 401 as it came; no new credential
//	}
//	// replace the credential (refresh, rotate, log in again)
package rejectlimit

import (
	"sync"
	"time"
)

// Defaults of a [Limiter].
const (
	// DefaultMin is the least time between two replacements: a second
	// lets a program recover at once from a token revoked by an operator,
	// while a server that rejects everything costs one token call a second
	// at first.
	DefaultMin = time.Second

	// DefaultMax caps the interval a server that keeps rejecting fresh
	// credentials pushes it to: after about eight rejected replacements,
	// one attempt every five minutes, as long as the rejections go on.
	DefaultMax = 5 * time.Minute
)

// A Limiter decides whether a rejected credential may be replaced now.
// Create it with [New]; it is safe for concurrent use.
type Limiter struct {
	min, max time.Duration

	mu       sync.Mutex    // guards the fields below
	last     time.Time     // when the last replacement was allowed; zero: never
	next     time.Time     // no replacement before this
	interval time.Duration // the interval set at the last allowed replacement
}

// New returns a limiter whose interval runs from lo up to hi.
func New(lo, hi time.Duration) *Limiter {
	return &Limiter{min: lo, max: max(lo, hi)}
}

// Allow reports whether a credential obtained at issued (zero if unknown),
// which the server rejected at now, may be replaced, and if so records the
// replacement. A credential obtained after the last replacement it
// allowed, within the interval then set, is that replacement rejected in
// turn: the interval doubles. Any other rejection resets it to the
// minimum.
func (l *Limiter) Allow(now, issued time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		return false
	}
	if !l.last.IsZero() && !issued.IsZero() && !issued.Before(l.last) && issued.Before(l.next) {
		l.interval = min(2*max(l.interval, l.min), l.max)
	} else {
		l.interval = l.min
	}
	l.last, l.next = now, now.Add(l.interval)
	return true
}
