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
		r.retrySave(unsaved)
		return
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
		unlock, err := l.Lock(ctx)
		if err != nil {
			r.fail(fmt.Errorf("tokenrefresh: lock the shared token: %w", err))
			return
		}
		defer func() {
			if err := unlock(); err != nil {
				r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", r.redact(err))
			}
		}()
		if r.adoptStored(ctx) {
			return
		}
	}
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

// adoptStored reloads the shared store; if it holds a token of this lineage
// other than ours that is not yet due, it publishes it and reports true.
func (r *Refresher) adoptStored(ctx context.Context) bool {
	e, err := r.cfg.Store.Load(ctx)
	if err != nil || e.Lineage != r.lineage {
		return false
	}
	old := r.cur.Load()
	if old != nil && old.tok.AccessToken == e.Token.AccessToken {
		return false
	}
	ns := r.newState(e)
	if ns.due(r.cfg.Clock.Now()) {
		// Rotate the stored token, not our older one that it replaced.
		ns.refreshAt = r.cfg.Clock.Now()
		r.cur.Store(ns)
		r.remember(e.Token)
		return false
	}
	r.remember(e.Token)
	r.publish(old, e, nil)
	r.cfg.Logger.Info("tokenrefresh: adopted the token another process rotated")
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
// to be retried), and calls OnRotate.
func (r *Refresher) publish(old *state, e *Entry, saveErr error) {
	ns := r.newState(e)
	now := r.cfg.Clock.Now()
	r.mu.Lock()
	r.cur.Store(ns)
	r.lastRefresh = now
	r.failures = 0
	r.lastErr = nil
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
	r.cfg.Logger.Info("tokenrefresh: token refreshed", "expiry", e.Token.Expiry, "next_refresh", ns.refreshAt)
	if r.cfg.OnRotate != nil {
		var prev *oauth2.Token
		if old != nil {
			prev = old.tok
		}
		r.cfg.OnRotate(prev, e.Token)
	}
}

// retrySave tries again to store a published token the store refused.
func (r *Refresher) retrySave(e *Entry) {
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
	defer cancel()
	err := r.save(ctx, e)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.unsaved != e {
		return // a newer token replaced it meanwhile
	}
	if err != nil {
		r.failures++
		r.lastErr = err
		r.setRetryAtLocked(r.cfg.Clock.Now().Add(r.backoffLocked(0, time.Time{})))
		r.cfg.Logger.Error("tokenrefresh: saving the token failed again", "error", r.redact(err), "failures", r.failures)
		return
	}
	r.unsaved, r.lastErr, r.failures = nil, nil, 0
	r.setRetryAtLocked(time.Time{})
	r.cfg.Logger.Info("tokenrefresh: token saved after earlier failures")
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
		var expiry time.Time
		if s := r.cur.Load(); s.usable(now) {
			expiry = s.expiry
		}
		r.setRetryAtLocked(now.Add(r.backoffLocked(retryAfter(err), expiry)))
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
