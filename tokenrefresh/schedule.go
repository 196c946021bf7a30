package tokenrefresh

import (
	"hash/fnv"
	"io"
	"time"

	"golang.org/x/oauth2"
)

// minRefreshGap is the least time between two refreshes the schedule will
// plan, whatever the token's lifetime says: a server that hands out tokens
// that are due at once must not be called in a tight loop.
const minRefreshGap = time.Second

// A token is about to die, and is rotated even without the shared store's
// lock (see [Locker]), in the last lastResortDivisor-th of its life and at
// most maxLastResortWindow before its deadline. Two minutes are four
// default attempt timeouts: room for a few unlocked attempts before a
// long-lived token dies, while giving the store as long as possible to
// come back first. A tenth keeps short-lived tokens (a 1-minute token:
// the last 6 s) from being rotated without the lock most of their life.
const (
	lastResortDivisor   = 10
	maxLastResortWindow = 2 * time.Minute
)

// newState computes the schedule of e's token.
func (r *Refresher) newState(e *Entry) *state {
	now := r.cfg.Clock.Now()
	tok := e.Token.Reveal()
	s := &state{tok: tok, obtained: e.Obtained, expiry: tok.Expiry, unsendable: checkSendable(tok, r.cfg.DPoP) != nil}
	at := r.refreshTime(e, s.expiry, now)
	// A token that is fresh by its own schedule need not be refreshed
	// again within minRefreshGap of being obtained.
	if !at.IsZero() && !e.Obtained.IsZero() {
		if floor := e.Obtained.Add(minRefreshGap); at.Before(floor) {
			at = floor
		}
	}
	if !s.expiry.IsZero() && at.After(s.expiry) {
		at = s.expiry
	}
	if r.fence().agreed(e) {
		s.agreed = e.Due
	}
	r.plan(s, at)
	r.setDeadline(s, e.Obtained, now)
	return s
}

// refreshTime returns when e's token is due: the moment agreed with the
// fleet, the interval after it was obtained, or the early window before
// its expiry; zero if never by time.
func (r *Refresher) refreshTime(e *Entry, expiry, now time.Time) time.Time {
	switch {
	case r.fence().agreed(e):
		return e.Due // agreed with the fleet; see shared.replan
	case r.cfg.Interval > 0:
		if e.Obtained.IsZero() {
			return now // unknown age: rotate at once to learn it
		}
		return e.Obtained.Add(r.cfg.Interval - r.jitter(e.Token.Reveal(), float64(r.cfg.Interval)))
	case !expiry.IsZero():
		from := e.Obtained
		if from.IsZero() || from.After(now) {
			from = now
		}
		window := r.earlyWindow(expiry.Sub(from))
		return expiry.Add(-window - r.jitter(e.Token.Reveal(), float64(window)))
	}
	return time.Time{}
}

// setDeadline sets when s's token is sure to be valid until, and from when
// it is about to die.
func (r *Refresher) setDeadline(s *state, obtained, now time.Time) {
	s.deadline = s.expiry
	if s.deadline.IsZero() && r.cfg.MaxAge > 0 {
		s.deadline = obtained.Add(r.cfg.MaxAge)
		if obtained.IsZero() {
			s.deadline = now // unknown age: it may die at any moment
		}
	}
	if s.deadline.IsZero() {
		return
	}
	from := obtained
	if from.IsZero() || from.After(now) {
		from = now
	}
	window := min(max(s.deadline.Sub(from), 0)/lastResortDivisor, maxLastResortWindow)
	s.lastResortAt = s.deadline.Add(-window)
}

// earlyWindow returns how long before expiry to refresh a token that lives
// for lifetime: a quarter of it, capped, unless Config.EarlyWindow is set.
func (r *Refresher) earlyWindow(lifetime time.Duration) time.Duration {
	if r.cfg.EarlyWindow > 0 {
		return min(r.cfg.EarlyWindow, lifetime/2)
	}
	return min(lifetime/4, DefaultMaxEarlyWindow)
}

// jitter returns a random duration in [0, Jitter*span) for tok's
// schedule. With Config.Fence it is drawn from tok itself, so every process
// that holds tok plans the same moment.
func (r *Refresher) jitter(tok *oauth2.Token, span float64) time.Duration {
	if r.cfg.Jitter <= 0 {
		return 0
	}
	var f float64
	if r.fence().length > 0 {
		h := fnv.New64a()
		io.WriteString(h, tok.AccessToken)
		f = float64(h.Sum64()>>11) / (1 << 53)
	} else {
		r.mu.Lock()
		f = r.cfg.Rand.Float64()
		r.mu.Unlock()
	}
	return time.Duration(f * r.cfg.Jitter * span)
}

// retryDelaysLocked returns the waits before the next attempt after
// r.failures consecutive failures: wait, by Config.Backoff, and while
// the token is still valid until a known deadline, early enough to try
// again before it dies; and quick, the wait while the token is dead and
// callers wait for it: what the server asked for (capped), else
// deadRetryInterval.
func (r *Refresher) retryDelaysLocked(serverAsked time.Duration, now time.Time) (wait, quick time.Duration) {
	wait = r.cfg.backoff(r.failures, serverAsked)
	if s := r.cur.Load(); s.usable(now) && before(now, s.deadline) {
		if left := until(now, s.deadline); wait > left/2 {
			wait = max(left/2, r.cfg.RetryMin)
		}
	}
	quick = deadRetryInterval
	if serverAsked > 0 {
		quick = min(serverAsked, r.cfg.RetryMax)
	}
	return wait, min(wait, quick)
}
