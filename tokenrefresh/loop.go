package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// run is the background loop: the only goroutine that refreshes. It exits
// when Close cancels r.ctx.
func (r *Refresher) run() {
	defer close(r.done)
	for r.ctx.Err() == nil {
		d, scheduled := r.nextWake()
		if scheduled && d <= 0 {
			r.step()
			continue
		}
		var timer <-chan time.Time
		stop := func() bool { return false }
		if scheduled {
			timer, stop = r.cfg.Clock.NewTimer(d)
		}
		select {
		case <-r.ctx.Done():
			stop()
			return
		case <-timer:
		case <-r.kick:
			stop()
		case <-r.changed:
			stop()
			r.reload()
		}
		r.step()
	}
}

// nextWake returns how long the loop may sleep before it has work, and
// false if nothing is scheduled (it then sleeps until nudged).
func (r *Refresher) nextWake() (time.Duration, bool) {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsaved != nil {
		return r.retryAt.Sub(now), true
	}
	if r.permErr != nil {
		return 0, false
	}
	s := r.cur.Load()
	var at time.Time
	switch {
	case !s.usable(now):
		at = now
	case s.refreshAt.IsZero():
		return 0, false
	default:
		at = s.refreshAt
	}
	if r.retryAt.After(at) {
		at = r.retryAt
	}
	return at.Sub(now), true
}

// step does whatever is due now: retry a failed save, or refresh.
func (r *Refresher) step() {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	backingOff := now.Before(r.retryAt)
	unsaved, perm := r.unsaved, r.permErr != nil
	r.mu.Unlock()
	if backingOff {
		return
	}
	if unsaved != nil {
		if r.retrySave(unsaved) || !r.cur.Load().lastResort(now) {
			return
		}
		// The store still refuses the token, which is about to die:
		// rotate it all the same rather than lose the lineage.
	}
	if !perm && r.cur.Load().due(now) {
		r.attempt()
	}
}

// attempt runs one refresh: under the store's lock if it has one, it
// reloads, adopts a token another process rotated, or rotates, then saves
// and publishes.
func (r *Refresher) attempt() {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
	defer cancel()
	if l, ok := r.cfg.Store.(Locker); ok {
		unlock, done := r.lockShared(ctx, l)
		if unlock != nil {
			defer unlock()
		}
		if done {
			return
		}
		if unlock != nil && r.replan(ctx) {
			return
		}
		if unlock == nil && ctx.Err() != nil {
			// Waiting for the lock used up the attempt's time: the
			// last-resort rotation gets time of its own.
			var cancelRotate context.CancelFunc
			ctx, cancelRotate = context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
			defer cancelRotate()
		}
	}
	r.rotate(ctx)
}

// rotate calls the RefreshFunc, then saves and publishes its token.
func (r *Refresher) rotate(ctx context.Context) {
	old := r.cur.Load()
	var current *oauth2.Token
	if old != nil {
		current = old.tok
	}
	tok, err := r.cfg.Refresh(ctx, current)
	if err == nil {
		err = checkToken(tok, r.cfg.Clock.Now())
	}
	if err != nil {
		r.fail(err)
		return
	}
	r.remember(tok)
	e := &Entry{Token: tok, Obtained: r.cfg.Clock.Now(), Lineage: r.lineage}
	r.publish(old, e, r.save(ctx, e))
}

// lockShared takes the shared store's lock and reloads the store, adopting
// a token another process rotated. It reports done when the attempt is
// over: a token was adopted, or the store could not be used and the token
// is not about to die (the failure is recorded, and retried). Otherwise
// the caller rotates the token. unlock, if not nil, releases the lock.
func (r *Refresher) lockShared(ctx context.Context, l Locker) (unlock func(), done bool) {
	release, err := r.lockUnlessAdopted(ctx, l)
	if release == nil && err == nil {
		return nil, true
	}
	if err != nil {
		return nil, !r.lastResortAfter(fmt.Errorf("tokenrefresh: lock the shared token store: %w", err))
	}
	unlock = func() {
		if err := release(); err != nil {
			r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", r.redact(err))
		}
	}
	adopted, err := r.adoptStored(ctx)
	if err != nil {
		return unlock, !r.lastResortAfter(fmt.Errorf("tokenrefresh: reload the shared token store: %w", err))
	}
	r.storeOK()
	return unlock, adopted
}

// lockUnlessAdopted takes l's lock. While it waits, a change notification
// from the store (a [Watcher]) is acted on at once: the store is reloaded
// without the lock, and if that adopted a token that is not due, it
// returns neither a release function nor an error: the attempt is over. A
// follower so learns of the holder's rotation as soon as it is saved,
// rather than once it takes the lock in turn, which with twenty members
// polling Redis took hundreds of milliseconds. Each pass needs a
// notification, and ctx bounds them.
func (r *Refresher) lockUnlessAdopted(ctx context.Context, l Locker) (func() error, error) {
	for {
		release, noticed, err := r.lockOrNotice(ctx, l)
		if !noticed {
			return release, err
		}
		r.reload()
		if !r.cur.Load().due(r.cfg.Clock.Now()) {
			return nil, nil
		}
	}
}

// lockOrNotice takes l's lock, or gives up waiting for it when the store
// reports a change, and then reports noticed.
func (r *Refresher) lockOrNotice(ctx context.Context, l Locker) (release func() error, noticed bool, err error) {
	if r.changed == nil {
		release, err = l.Lock(ctx)
		return release, false, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	locked, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-r.changed:
			noticed = true
			cancel()
		case <-locked:
		}
	}()
	release, err = l.Lock(lctx)
	close(locked)
	<-exited
	switch {
	case err == nil:
		return release, false, nil // the reload under the lock sees the change
	case noticed && ctx.Err() == nil:
		return nil, true, nil
	}
	return nil, false, err
}

// lastResortAfter records that the shared store could not be used, and
// reports whether to rotate all the same because the token is about to
// die. If not, err counts as a failed attempt, to be retried.
func (r *Refresher) lastResortAfter(err error) bool {
	if r.ctx.Err() == nil {
		r.storeFailed(err)
		if r.cur.Load().lastResort(r.cfg.Clock.Now()) {
			r.cfg.Logger.Warn("tokenrefresh: the token is about to die and the shared store cannot be used: rotating without its lock",
				"error", r.redact(err))
			return true
		}
	}
	r.fail(err)
	return false
}

// adoptStored reloads the shared store under its lock; if it holds a token
// of this lineage to adopt in place of ours (see newer) that is not yet
// due, it publishes it and reports true. A token of ours that the store
// has not yet taken is the newest of the lineage, and is kept.
func (r *Refresher) adoptStored(ctx context.Context) (bool, error) {
	e, err := r.cfg.Store.Load(ctx)
	if errors.Is(err, ErrNoToken) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.mu.Lock()
	unsaved := r.unsaved != nil
	r.mu.Unlock()
	old := r.cur.Load()
	if !unsaved && r.adoptPlan(e, old) {
		return !r.cur.Load().due(r.cfg.Clock.Now()), nil
	}
	if unsaved || e.Lineage != r.lineage || !newer(e, old) {
		return false, nil
	}
	r.remember(e.Token)
	ns := r.newState(e)
	if ns.due(r.cfg.Clock.Now()) {
		// Rotate the stored token, not our older one that it replaced.
		r.plan(ns, r.cfg.Clock.Now())
		r.cur.Store(ns)
		return false, nil
	}
	r.publish(old, e, nil)
	r.cfg.Logger.Info("tokenrefresh: adopted the token another process rotated")
	return true, nil
}

// replan, with a fence and under the shared store's lock, puts off a
// rotation that is overdue: its planned moment and fence have passed (the
// store, the lock or the token server failed meanwhile), so the other
// processes serve the token unfenced and would meet 401s if it were
// rotated now. It saves the token again with Due 2*Fence ahead, so that
// every process, told by the store, holds its callers for that moment,
// and reports true: the attempt is over. A token about to die, or one
// the store has not taken yet, is rotated at once instead.
func (r *Refresher) replan(ctx context.Context) bool {
	if r.cfg.Fence <= 0 {
		return false
	}
	now := r.cfg.Clock.Now()
	s := r.cur.Load()
	r.mu.Lock()
	unsaved := r.unsaved != nil
	r.mu.Unlock()
	if unsaved || !s.usable(now) || s.refreshAt.IsZero() || now.Before(s.refreshAt.Add(r.cfg.Fence)) || s.lastResort(now) {
		return false
	}
	e := &Entry{Token: s.tok, Obtained: s.obtained, Lineage: r.lineage, Due: now.Add(2 * r.cfg.Fence)}
	if err := r.save(ctx, e); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not plan the overdue rotation with the other processes; rotating now",
			"error", r.redact(err))
		return false
	}
	ns := r.newState(e)
	r.mu.Lock()
	r.cur.Store(ns)
	r.setRetryAtLocked(time.Time{})
	r.endAttemptLocked()
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: the rotation is overdue; planned it with the other processes", "at", e.Due)
	return true
}

// adoptPlan, with a fence, takes up the moment of rotation that another
// process agreed for the current token (see replan) and reports whether
// it did. The agreed moment replaces this process's own backoff: a retry
// planned later would lift its fence (see heldUntil) and let its callers
// use the token the others are about to rotate.
func (r *Refresher) adoptPlan(e *Entry, cur *state) bool {
	if r.cfg.Fence <= 0 || cur == nil || cur.invalid || e.Lineage != r.lineage || e.Token.AccessToken != cur.tok.AccessToken ||
		e.Due.IsZero() || e.Due.Equal(cur.agreed) {
		return false
	}
	ns := r.newState(e)
	r.mu.Lock()
	r.cur.Store(ns)
	r.setRetryAtLocked(time.Time{})
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: another process planned the overdue rotation", "at", e.Due)
	return true
}

// checkToken rejects what a RefreshFunc must not return.
func checkToken(tok *oauth2.Token, now time.Time) error {
	switch {
	case tok == nil || tok.AccessToken == "":
		return errors.New("tokenrefresh: refresh returned no token")
	case !tok.Expiry.IsZero() && !now.Before(tok.Expiry):
		return fmt.Errorf("tokenrefresh: refresh returned a token that expired at %v: check the clocks of this machine and the server", tok.Expiry.UTC())
	}
	return nil
}

// save writes e to the store, if there is one, and returns the error.
func (r *Refresher) save(ctx context.Context, e *Entry) error {
	if r.cfg.Store == nil {
		return nil
	}
	return r.cfg.Store.Save(ctx, e)
}

// publish makes e the current token, records success (or the failed save,
// to be retried), and calls OnRotate. A published token ends a permanent
// failure: in a fleet, it may have been a rotation that lost the race.
func (r *Refresher) publish(old *state, e *Entry, saveErr error) {
	ns := r.newState(e)
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	r.cur.Store(ns)
	r.lastRefresh = now
	r.failures = 0
	r.lastErr = nil
	r.permErr = nil
	r.storeErr = saveErr
	r.setRetryAtLocked(time.Time{})
	r.unsaved = nil
	if saveErr != nil {
		r.unsaved = e
		r.lastErr = saveErr
		r.setRetryAtLocked(now.Add(r.cfg.RetryMin))
	}
	r.endAttemptLocked()
	r.mu.Unlock()

	if saveErr != nil {
		r.cfg.Logger.Error("tokenrefresh: new token is in memory only: saving it failed; retrying", "error", r.redact(saveErr))
	}
	if e.Token.Expiry.IsZero() {
		r.cfg.Logger.Info("tokenrefresh: token refreshed", "next_refresh", ns.refreshAt)
	} else {
		r.cfg.Logger.Info("tokenrefresh: token refreshed", "expiry", e.Token.Expiry, "next_refresh", ns.refreshAt)
	}
	if r.cfg.OnRotate != nil {
		var prev *oauth2.Token
		if old != nil {
			prev = old.tok
		}
		r.cfg.OnRotate(prev, e.Token)
	}
}

// retrySave tries again to store a published token the store refused,
// under the store's lock if it has one, and reports whether the token is
// stored now (or no longer needs to be).
func (r *Refresher) retrySave(e *Entry) bool {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
	defer cancel()
	err := r.saveShared(ctx, e)
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsaved != e {
		return true // a newer token replaced it meanwhile
	}
	if err != nil {
		r.failures++
		r.lastErr = err
		r.storeErr = err
		r.setRetryAtLocked(now.Add(r.backoffLocked(0, r.retryBound(now))))
		r.cfg.Logger.Error("tokenrefresh: saving the token failed again", "error", r.redact(err), "failures", r.failures)
		return false
	}
	r.unsaved, r.lastErr, r.storeErr, r.failures = nil, nil, nil, 0
	r.setRetryAtLocked(time.Time{})
	r.cfg.Logger.Info("tokenrefresh: token saved after earlier failures")
	return true
}

// saveShared saves e under the store's lock if it has one.
func (r *Refresher) saveShared(ctx context.Context, e *Entry) error {
	if l, ok := r.cfg.Store.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return fmt.Errorf("tokenrefresh: lock the shared token store: %w", err)
		}
		defer func() {
			if err := unlock(); err != nil {
				r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", r.redact(err))
			}
		}()
	}
	return r.save(ctx, e)
}

// fail records a failed attempt and schedules the retry.
func (r *Refresher) fail(err error) {
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures++
	r.lastErr = err
	if r.ctx.Err() != nil {
		r.endAttemptLocked()
		return
	}
	if IsPermanent(err) {
		r.permErr = err
		r.cfg.Logger.Error("tokenrefresh: token refresh failed permanently; not retrying", "error", r.redact(err))
	} else {
		r.setRetryAtLocked(now.Add(r.backoffLocked(retryAfter(err), r.retryBound(now))))
		r.cfg.Logger.Warn("tokenrefresh: token refresh failed; retrying", "error", r.redact(err),
			"failures", r.failures, "retry_at", r.retryAt)
	}
	r.endAttemptLocked()
}

// endAttemptLocked wakes the callers waiting for the attempt.
func (r *Refresher) endAttemptLocked() {
	close(r.attemptDone)
	r.attemptDone = make(chan struct{})
}

// setRetryAtLocked sets when the next attempt may run, and its lock-free
// mirror.
func (r *Refresher) setRetryAtLocked(t time.Time) {
	r.retryAt = t
	if t.IsZero() {
		r.backoffUntil.Store(0)
	} else {
		r.backoffUntil.Store(t.UnixNano())
	}
}
