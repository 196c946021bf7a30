package tokenrefresh

import "time"

// fence holds callers back from a token about to be rotated (see
// Config.Fence). The zero fence (length 0) holds nobody.
type fence struct {
	length  time.Duration // Config.Fence
	attempt time.Duration // Config.AttemptTimeout
}

// plan sets s to be refreshed at at, and to be served until then, or with
// a fence until its length before, but no earlier than halfway from when
// it was obtained.
func (f fence) plan(s *state, at time.Time) {
	s.refreshAt, s.serveUntil = at, at
	if f.length <= 0 || at.IsZero() {
		return
	}
	s.serveUntil = at.Add(-f.length)
	if !s.obtained.IsZero() && s.obtained.Before(at) {
		if half := s.obtained.Add(at.Sub(s.obtained) / 2); s.serveUntil.Before(half) {
			s.serveUntil = half
		}
	}
}

// end returns when the fence around s's rotation ends: its length after
// the planned rotation, or for a token of unknown age an attempt's time.
// A token of unknown age is due at once, and any process that shares it
// may be rotating it now: callers are held until the first attempt ends
// (it lifts the hold, or publishes a new token), at most an attempt's
// time.
func (f fence) end(s *state) time.Time {
	if s.obtained.IsZero() {
		return s.refreshAt.Add(max(f.length, f.attempt))
	}
	return s.refreshAt.Add(f.length)
}

// holds reports whether s is held back from callers at now: from its
// serveUntil until the fence's end, unless a failed attempt has put the
// next one (retryAt) more than the fence's length away. A hold is bounded
// by the plan alone: a retry after the fence holds callers only once a
// shared store has planned it anew (see shared.replan).
func (f fence) holds(s *state, retryAt, now time.Time) bool {
	if f.length <= 0 || s == nil || s.refreshAt.IsZero() || before(now, s.serveUntil) {
		return false
	}
	return before(now, f.end(s)) && !retryAt.After(now.Add(f.length))
}

// agreed reports whether e's agreed moment of rotation (see Entry.Due) is
// to be followed.
func (f fence) agreed(e *Entry) bool { return f.length > 0 && !e.Due.IsZero() }
