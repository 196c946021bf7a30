package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"golang.org/x/oauth2"
)

// state is one published token with its schedule. It is never modified
// after it is published (but for the once-only held flag); a change
// publishes a new state.
type state struct {
	tok       *oauth2.Token
	obtained  time.Time
	agreed    time.Time // the entry's Due, agreed with the fleet; zero if none
	refreshAt time.Time // zero: not due by time
	// serveUntil is when Token stops returning tok without a second look:
	// refreshAt, or with Config.Fence the start of the fence before it.
	serveUntil time.Time
	expiry     time.Time // zero: does not expire by time
	invalid    bool      // the server rejected it
	// unsendable is set for an access token that cannot be sent (see
	// keepRefreshToken), kept for the refresh token it came with.
	unsendable bool
	// deadline is when the token is sure to be valid until: its expiry,
	// or for a token without one, obtained + Config.MaxAge; zero if
	// unknown.
	deadline time.Time
	// lastResortAt is when the token is about to die, so that it is
	// rotated even without the shared store's lock; zero: never.
	lastResortAt time.Time
	held         atomic.Bool // the Held event was sent for this state
	// fresh marks the state, with a runtimeClock, as certainly fresh:
	// Token then serves it without reading the clock. It holds the epoch
	// of the clock's jumps watcher it was set in (0: not marked), and is
	// void once the watcher sees the wall clock jump (see clockWatch). It
	// is set when the state is planned, and by the loop alone after the
	// state is published (see markFresh); the loop clears it at
	// freshUntil, a margin before serveUntil (never, without one), and
	// when it exits.
	fresh atomic.Uint32
}

// freshUntil is when s's fresh mark ends: a margin before serveUntil;
// zero (never) for a token that is never stale by time.
func (s *state) freshUntil() time.Time {
	if s.serveUntil.IsZero() {
		return time.Time{}
	}
	return s.serveUntil.Add(-freshMargin)
}

// usable reports whether s can be served at now.
func (s *state) usable(now time.Time) bool {
	return s != nil && !s.invalid && !s.unsendable && (s.expiry.IsZero() || before(now, s.expiry))
}

// due reports whether s should be replaced at now.
func (s *state) due(now time.Time) bool {
	return !s.usable(now) || (!s.refreshAt.IsZero() && !before(now, s.refreshAt))
}

// holds reports whether s serves tok and is not yet known to be rejected.
func (s *state) holds(tok *oauth2.Token) bool {
	return s != nil && !s.invalid && s.tok.AccessToken == tok.AccessToken
}

// rejected returns a copy of s marked as rejected by the server.
func (s *state) rejected() *state { return s.withInvalid(true) }

// forgiven returns a copy of s no longer marked as rejected: the rejection
// limit keeps it (see shared.allowRotation).
func (s *state) forgiven() *state { return s.withInvalid(false) }

func (s *state) withInvalid(invalid bool) *state {
	return &state{tok: s.tok, obtained: s.obtained, agreed: s.agreed, refreshAt: s.refreshAt, serveUntil: s.serveUntil,
		expiry: s.expiry, invalid: invalid, unsendable: s.unsendable, deadline: s.deadline, lastResortAt: s.lastResortAt}
}

// lastResort reports whether s may be rotated at now without the shared
// store's lock: it is about to die. With no token at all there is nothing
// to lose. A token the server rejected is not rotated without the lock:
// in a fleet that most likely means another process rotated it, and only
// the store knows the successor.
func (s *state) lastResort(now time.Time) bool {
	if s == nil {
		return true
	}
	return !s.invalid && !s.lastResortAt.IsZero() && !before(now, s.lastResortAt)
}

// tokenState names what Token does with a published state.
type tokenState int

const (
	fresh   tokenState = iota // before its refresh time: served as is
	stale                     // due, still valid: served, and the loop nudged
	fenced                    // held back for a planned rotation (Config.Fence)
	invalid                   // none, expired, or rejected: callers wait
)

// tokenState decides the state of s at now. It takes no lock.
func (r *Refresher) tokenState(s *state, now time.Time) tokenState {
	switch {
	case s == nil || s.invalid || s.unsendable:
		return invalid
	case s.serveUntil.IsZero() || before(now, s.serveUntil):
		return fresh // serveUntil is never after the expiry
	case !s.usable(now):
		return invalid
	case !r.stopped.Load() && r.fence().holds(s, r.retryAtHint(), now):
		return fenced
	}
	return stale
}

// plan schedules s to be refreshed at at (see fence.plan). With a
// runtimeClock, serveUntil is rebased onto now's readings at the earlier
// of its two moments (see until), so that the mark's timer, which runs on
// the monotonic clock, ends it no later than the wall clock would; and s
// is marked fresh (see markFresh).
func (r *Refresher) plan(s *state, at time.Time) {
	r.fence().plan(s, at)
	if r.jumps.watching() && !s.serveUntil.IsZero() {
		now := r.cfg.Clock.Now()
		s.serveUntil = now.Add(until(now, s.serveUntil))
	}
	r.markFresh(s)
}

// freshMargin is how long before serveUntil the loop clears a state's
// fresh mark, and how long at least a marked token must stay valid after
// serveUntil: a loop that wakes up to twice this late still never lets
// Token serve an expired token from the mark. A second is hundreds of
// times a goroutine's usual wake-up delay; the clock path decides exactly
// in the last second.
const freshMargin = time.Second

// markFresh marks s, with a runtimeClock, as certainly fresh until a
// margin before its serveUntil, for as long as the loop runs to clear
// the mark and the clocks keep together: Token then skips the clock
// read, the one cost a Transport adds to a request beyond copying it
// (about 38 ns on the project's machine, 2.5% of an in-memory round
// trip). A token whose serveUntil is near, or whose expiry is too close
// behind it, is not marked, and goes by the clock; nor is any while the
// wall clock has jumped and the jumps watcher has not yet seen it. The
// epoch is read before the clock: a jump after it voids the mark.
func (r *Refresher) markFresh(s *state) {
	if !r.jumps.watching() {
		return
	}
	epoch := r.jumps.epoch.Load()
	now := r.cfg.Clock.Now()
	if (r.ctx != nil && r.ctx.Err() != nil) || s.invalid || s.unsendable || !r.jumps.steady(now) {
		s.fresh.Store(0)
		return
	}
	fresh := s.serveUntil.IsZero() && s.expiry.IsZero() ||
		!s.serveUntil.IsZero() && before(now, s.freshUntil()) && (s.expiry.IsZero() || until(s.serveUntil, s.expiry) >= freshMargin)
	if !fresh {
		epoch = 0
	}
	s.fresh.Store(epoch)
}

// marked reports whether s is marked fresh, in the current epoch of the
// clock's jumps (never 0, which is no mark): Token's fast path.
func (r *Refresher) marked(s *state) bool {
	return s.fresh.Load() == r.jumps.epoch.Load()
}

// renewMark keeps the current state's fresh mark up to date: cleared once
// its time has come, or renewed after the wall clock jumped if it is
// still due. The loop calls it each time it wakes, and wakes for it (see
// freshWake, and clockWatch.jumped); it is the only writer of the mark
// of a published state.
func (r *Refresher) renewMark() {
	if s := r.cur.Load(); s != nil && s.fresh.Load() != 0 {
		r.markFresh(s)
	}
}

// freshWake brings the loop's next wake forward to the current state's
// freshUntil, if the mark is set and ends earlier.
func (r *Refresher) freshWake(at time.Time, scheduled bool) (time.Time, bool) {
	s := r.cur.Load()
	if s == nil || s.fresh.Load() == 0 || s.serveUntil.IsZero() || (scheduled && !s.freshUntil().Before(at)) {
		return at, scheduled
	}
	return s.freshUntil(), true
}

// retryAtHint reads the lock-free mirror of retryAt.
func (r *Refresher) retryAtHint() time.Time {
	if n := r.backoffUntil.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// Token returns a valid token. While the current token is fresh it returns
// at once without locking or allocating; while it is stale it returns it and
// nudges the background refresh; when it is invalid it waits for a new
// one, across failed attempts, until ctx is done (or the Refresher is
// closed, or failed for good). With [Config.Fence], it also waits while
// the token is held back for its rotation.
func (r *Refresher) Token(ctx context.Context) (*oauth2.Token, error) {
	s := r.cur.Load()
	if s != nil && r.marked(s) {
		return s.tok, nil
	}
	now := r.cfg.Clock.Now()
	switch r.tokenState(s, now) {
	case fresh:
		return s.tok, nil
	case stale:
		r.nudgeIfDue(s, now)
		return s.tok, nil
	}
	return r.wait(ctx)
}

// nudgeIfDue wakes the loop for a stale token that is due, unless it is
// backing off.
func (r *Refresher) nudgeIfDue(s *state, now time.Time) {
	if now.UnixNano() >= r.backoffUntil.Load() && !before(now, s.refreshAt) {
		r.nudge()
	}
}

// wait holds a caller while the token is fenced or invalid. Each pass
// waits for something that may change the state: an attempt's end, a
// fence's end; fences end by time and the caller's ctx bounds the rest.
func (r *Refresher) wait(ctx context.Context) (*oauth2.Token, error) {
	r.waiters.Add(1) // counted across passes, so the loop sees a steady count
	defer r.waiters.Add(-1)
	for pass := 0; ; pass++ {
		s := r.cur.Load()
		now := r.cfg.Clock.Now()
		var err error
		switch r.tokenState(s, now) {
		case fresh:
			return s.tok, nil
		case stale:
			r.nudgeIfDue(s, now)
			return s.tok, nil
		case fenced:
			err = r.waitFence(ctx, s, now)
		default:
			err = r.waitAttempt(ctx, s, pass == 0)
		}
		if err != nil {
			return nil, err
		}
	}
}

// waitFence waits until s is replaced, an attempt ends, or the fence that
// holds s ends.
func (r *Refresher) waitFence(ctx context.Context, s *state, now time.Time) error {
	end := r.fence().end(s)
	if s.held.CompareAndSwap(false, true) {
		r.observe(Event{Kind: Held, At: now, Retry: end})
	}
	r.mu.Lock()
	ch := r.attemptDoneLocked()
	r.mu.Unlock()
	if r.cur.Load() != s {
		return nil
	}
	timer, stop := r.cfg.Clock.NewTimer(until(now, end))
	defer stop()
	select {
	case <-ch:
	case <-timer:
	case <-r.done:
	case <-ctx.Done():
		return fmt.Errorf("tokenrefresh: waiting for a token: %w", ctx.Err())
	}
	return nil
}

// waitAttempt waits until s is replaced or the next attempt ends. It
// fails at once if no attempt is coming: the Refresher is closed or has
// failed for good. On a caller's first pass it nudges the loop, which may
// be sleeping on a long backoff: with a caller waiting for a dead token,
// it retries sooner. Later passes follow an attempt's end, after which
// the loop plans with the waiting callers counted.
func (r *Refresher) waitAttempt(ctx context.Context, s *state, first bool) error {
	r.mu.Lock()
	if err := r.noMoreAttemptsLocked(); err != nil {
		r.mu.Unlock()
		return err
	}
	ch := r.attemptDoneLocked()
	r.mu.Unlock()
	if r.cur.Load() != s {
		return nil
	}
	if first {
		r.nudge()
	}
	select {
	case <-ch:
	case <-r.done:
	case <-ctx.Done():
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.lastErr == nil {
			return fmt.Errorf("tokenrefresh: waiting for a token: %w", ctx.Err())
		}
		return redact.NewError(errors.Join(ctx.Err(), r.lastErr), fmt.Sprintf("tokenrefresh: waiting for a token: %v; the last of %d failed attempts: %s",
			ctx.Err(), r.failures, r.redact(r.lastErr)))
	}
	return nil
}

// noMoreAttemptsLocked returns the error to give a caller that needs a
// new token when none will come: the Refresher is closed, or failed for
// good.
func (r *Refresher) noMoreAttemptsLocked() error {
	switch {
	case r.ctx.Err() != nil:
		return ErrClosed
	case r.permErr != nil:
		return redact.NewError(r.permErr, "tokenrefresh: token refresh failed and will not be retried: "+r.redact(r.permErr))
	}
	return nil
}
