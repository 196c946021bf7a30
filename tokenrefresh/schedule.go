package tokenrefresh

import (
	"hash/fnv"
	"io"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
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
	s := &state{tok: e.Token, obtained: e.Obtained, expiry: e.Token.Expiry}
	switch {
	case r.cfg.Fence > 0 && !e.Due.IsZero():
		s.agreed, s.refreshAt = e.Due, e.Due // agreed with the fleet; see replan
	case r.cfg.Interval > 0:
		if e.Obtained.IsZero() {
			s.refreshAt = now // unknown age: rotate at once to learn it
			break
		}
		early := r.jitter(e.Token, float64(r.cfg.Interval))
		s.refreshAt = e.Obtained.Add(r.cfg.Interval - early)
	case !s.expiry.IsZero():
		from := e.Obtained
		if from.IsZero() || from.After(now) {
			from = now
		}
		window := r.earlyWindow(s.expiry.Sub(from))
		s.refreshAt = s.expiry.Add(-window - r.jitter(e.Token, float64(window)))
	}
	// A token that is fresh by its own schedule need not be refreshed
	// again within minRefreshGap of being obtained.
	if !s.refreshAt.IsZero() && !e.Obtained.IsZero() {
		if floor := e.Obtained.Add(minRefreshGap); s.refreshAt.Before(floor) {
			s.refreshAt = floor
		}
	}
	if !s.expiry.IsZero() && s.refreshAt.After(s.expiry) {
		s.refreshAt = s.expiry
	}
	r.plan(s, s.refreshAt)
	r.setDeadline(s, e.Obtained, now)
	return s
}

// plan sets s to be refreshed at at, and to be served until then, or with
// Config.Fence until Fence before, but no earlier than halfway from when
// it was obtained.
func (r *Refresher) plan(s *state, at time.Time) {
	s.refreshAt, s.serveUntil = at, at
	if r.cfg.Fence <= 0 || at.IsZero() {
		return
	}
	s.serveUntil = at.Add(-r.cfg.Fence)
	if !s.obtained.IsZero() && s.obtained.Before(at) {
		if half := s.obtained.Add(at.Sub(s.obtained) / 2); s.serveUntil.Before(half) {
			s.serveUntil = half
		}
	}
}

// heldUntil reports whether, with Config.Fence, s is held back from
// callers at now, and until when: from its serveUntil until Fence after
// its planned rotation (for a token of unknown age, an attempt's time),
// unless a failed attempt has put the next one (retryAt) more than Fence
// away. A hold is bounded by the plan alone: a retry after the fence holds
// callers only once a shared store has planned it anew (see replan).
func (r *Refresher) heldUntil(s *state, retryAt, now time.Time) (time.Time, bool) {
	if r.cfg.Fence <= 0 || s == nil || s.refreshAt.IsZero() || now.Before(s.serveUntil) {
		return time.Time{}, false
	}
	end := s.refreshAt.Add(r.cfg.Fence)
	if s.obtained.IsZero() {
		// A token of unknown age is due at once, and any process that
		// shares it may be rotating it now: hold callers until the first
		// attempt ends (it lifts the hold, or publishes a new token), at
		// most an attempt's time.
		end = s.refreshAt.Add(max(r.cfg.Fence, r.cfg.AttemptTimeout))
	}
	if !now.Before(end) || retryAt.After(now.Add(r.cfg.Fence)) {
		return time.Time{}, false
	}
	return end, true
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

// retryBound returns the time by which the current token must be replaced,
// so that retries are planned early enough: its deadline while it is
// usable and not past it, else zero.
func (r *Refresher) retryBound(now time.Time) time.Time {
	if s := r.cur.Load(); s.usable(now) && now.Before(s.deadline) {
		return s.deadline
	}
	return time.Time{}
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
	f := r.cfg.Rand.Float64()
	if r.cfg.Fence > 0 {
		h := fnv.New64a()
		io.WriteString(h, tok.AccessToken)
		f = float64(h.Sum64()>>11) / (1 << 53)
	}
	return time.Duration(f * r.cfg.Jitter * span)
}

// backoffLocked returns the delay before the next attempt after
// r.failures consecutive failures: exponential from RetryMin, capped at
// RetryMax, with equal jitter; at least what the server asked for
// (capped); and, while a token is still valid until expiry (see
// retryBound), early enough to try again before it dies.
func (r *Refresher) backoffLocked(serverAsked time.Duration, expiry time.Time) time.Duration {
	d := r.cfg.RetryMin
	for i := 1; i < r.failures && d < r.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, r.cfg.RetryMax)
	d = d/2 + time.Duration(r.cfg.Rand.Float64()*float64(d/2))
	if serverAsked > d {
		d = min(serverAsked, r.cfg.RetryMax)
	}
	if !expiry.IsZero() {
		if left := expiry.Sub(r.cfg.Clock.Now()); d > left/2 {
			d = max(left/2, r.cfg.RetryMin)
		}
	}
	return d
}

// maxSecrets bounds how many past token values are kept for redaction.
const maxSecrets = 8

// remember records tok's secrets so they are scrubbed from errors and logs.
func (r *Refresher) remember(tok *oauth2.Token) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range []string{tok.AccessToken, tok.RefreshToken} {
		if v != "" {
			r.secrets = append(r.secrets, v)
		}
	}
	if n := len(r.secrets); n > maxSecrets {
		r.secrets = append(r.secrets[:0:0], r.secrets[n-maxSecrets:]...)
	}
}

// redact returns err's message with every remembered token removed. It
// must be called with r.mu held or from the loop; it reads r.secrets.
func (r *Refresher) redact(err error) string {
	if err == nil {
		return ""
	}
	return redact.String(err.Error(), r.secrets...)
}

// Status reports whether the Refresher is keeping its token alive.
type Status struct {
	// Healthy is true when a valid token is held, the last attempt did
	// not fail, the token is safely stored, and the store is available.
	Healthy bool
	// Valid is true when a token can be served now.
	Valid bool
	// Expiry is the current token's expiry; zero if it has none.
	Expiry time.Time
	// LastRefresh is when the current token was published; zero if it
	// came from Config.Initial or the store.
	LastRefresh time.Time
	// NextRefresh is when the next attempt is planned; zero if none is.
	NextRefresh time.Time
	// ConsecutiveFailures counts failed attempts (or saves) since the last
	// success.
	ConsecutiveFailures int
	// LastError is the last failure's message with token values removed;
	// empty after a success.
	LastError string
	// Permanent is true when the last failure stopped the retries: a new
	// token or new credentials are needed.
	Permanent bool
	// Unsaved is true when the current token could not yet be written to
	// the store.
	Unsaved bool
	// StoreUnavailable is true when the last use of the store failed: it
	// is unreachable, refuses the token, or another process held its lock
	// for longer than an attempt. The Refresher keeps serving its token,
	// rotates it without the lock only when it is about to die (see
	// [Locker]), and clears this once the store answers again. With a
	// [Watcher] store it is seen within seconds; otherwise at the next
	// refresh.
	StoreUnavailable bool
	// StoreError says why the store could not be used, with token values
	// removed; empty when StoreUnavailable is false.
	StoreError string
	// Closed is true after Close.
	Closed bool
}

// Status returns a snapshot of the Refresher's health.
func (r *Refresher) Status() Status {
	now := r.cfg.Clock.Now()
	s := r.cur.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	st := Status{
		Valid:               s.usable(now),
		LastRefresh:         r.lastRefresh,
		ConsecutiveFailures: r.failures,
		Permanent:           r.permErr != nil,
		Unsaved:             r.unsaved != nil,
		StoreUnavailable:    r.storeErr != nil,
		StoreError:          r.redact(r.storeErr),
		Closed:              r.ctx.Err() != nil,
		LastError:           r.redact(r.lastErr),
	}
	if s != nil {
		st.Expiry = s.expiry
		if r.permErr == nil {
			st.NextRefresh = s.refreshAt
			if r.retryAt.After(st.NextRefresh) {
				st.NextRefresh = r.retryAt
			}
		}
	}
	st.Healthy = st.Valid && r.failures == 0 && !st.Permanent && !st.Unsaved && !st.StoreUnavailable && !st.Closed
	return st
}
