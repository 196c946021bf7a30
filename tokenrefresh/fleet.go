package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bearer-go/bearer/secret"
)

// shared is the coordinator of a Refresher whose store other processes
// use too: it rotates as "lock, reload, adopt the stored token if another
// process rotated it and it is not due, else rotate, save, unlock", plans
// overdue rotations with the fleet (with a fence), rotates without the
// lock only as a last resort, and writes the current token back to a
// store that lost it. Under the lock, before it rotates, it saves the
// token again with its marker (see marker.go), and it leaves a token
// that another process's marker is on to that process for a grace.
type shared struct {
	r      *Refresher
	locker Locker // nil if the store only watches
	owner  string // this Refresher's owner id in rotation markers
	// waiting is the other process's marker this one waits for, if any;
	// only the loop's goroutine uses it.
	waiting marker
}

func (c *shared) sharesRejections() bool { return c.locker != nil }

// seed writes the initial token to an empty store. Under the lock it
// loads again first: if another process seeded or rotated the lineage
// meanwhile, that entry is used instead.
func (c *shared) seed(ctx context.Context, initial *Entry) *Entry {
	r := c.r
	if initial == nil {
		return nil
	}
	unlock, err := c.lockLogged(ctx)
	if err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not lock the store to save the initial token", "error", r.redacted(err))
		return initial
	}
	defer unlock()
	if stored, err := r.cfg.Store.Load(ctx); err == nil && stored.Lineage == r.lineage {
		return stored
	}
	if err := r.save(ctx, initial); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not save the initial token; the first refresh will", "error", r.redacted(err))
	}
	return initial
}

// lockLogged takes the store's lock, if it has one, and returns the
// function that releases it and logs a failure to.
func (c *shared) lockLogged(ctx context.Context) (func(), error) {
	if c.locker == nil {
		return func() {}, nil
	}
	release, err := c.locker.Lock(ctx)
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: lock the shared token store: %w", err)
	}
	return c.logged(release), nil
}

// logged wraps a lock's release function so that its failure is logged.
func (c *shared) logged(release func() error) func() {
	return func() {
		if err := release(); err != nil {
			c.r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", c.r.redacted(err))
		}
	}
}

// refresh runs one attempt under the store's lock: reload and adopt,
// wait for another process's rotation in flight, plan an overdue
// rotation with the fleet, or mark the token and rotate it. Without the
// lock it rotates only as a last resort.
func (c *shared) refresh(ctx context.Context) {
	r := c.r
	if c.locker == nil {
		r.obtain(ctx)
		return
	}
	unlock, stored, done := c.lock(ctx)
	if unlock != nil {
		defer unlock()
	}
	switch {
	case done:
		return
	case unlock != nil && c.heldElsewhere(stored) && c.awaitHolder(stored):
		return
	case unlock != nil && (c.replan(ctx) || !c.allowRotation()):
		return
	case unlock != nil:
		marked, rotate := c.claim(ctx)
		if !rotate {
			return
		}
		if marked != nil {
			defer c.unclaim(marked) // before the unlock
		}
	case unlock == nil && ctx.Err() != nil:
		// Waiting for the lock used up the attempt's time: the
		// last-resort rotation gets time of its own (none after Close).
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
		defer cancel()
	}
	r.obtain(ctx)
}

// saveAlone saves e under the store's lock.
func (c *shared) saveAlone(ctx context.Context, e *Entry) error {
	unlock, err := c.lockLogged(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return c.r.save(ctx, e)
}

// lock takes the shared store's lock and reloads the store, adopting a
// token another process rotated. It reports done when the attempt is
// over: a token was adopted, or the store could not be used and the token
// is not about to die (the failure is recorded, and retried). Otherwise
// the caller rotates the token. unlock, if not nil, releases the lock;
// stored is the entry the store held (nil if none, or not loaded).
func (c *shared) lock(ctx context.Context) (unlock func(), stored *Entry, done bool) {
	release, err := c.lockUnlessAdopted(ctx)
	if release == nil && err == nil {
		return nil, nil, true
	}
	if err != nil {
		return nil, nil, !c.lastResortAfter(fmt.Errorf("tokenrefresh: lock the shared token store: %w", err))
	}
	unlock = c.logged(release)
	stored, adopted, err := c.adoptStored(ctx)
	if err != nil {
		return unlock, nil, !c.lastResortAfter(fmt.Errorf("tokenrefresh: reload the shared token store: %w", err))
	}
	c.r.storeOK()
	return unlock, stored, adopted
}

// lockUnlessAdopted takes the lock. While it waits, a change notification
// from the store (a [Watcher]) is acted on at once: the store is reloaded
// without the lock, and if that adopted a token that is not due, it
// returns neither a release function nor an error: the attempt is over. A
// follower so learns of the holder's rotation as soon as it is saved,
// rather than once it takes the lock in turn, which with twenty members
// polling Redis took hundreds of milliseconds. Each pass needs a
// notification, and ctx bounds them.
func (c *shared) lockUnlessAdopted(ctx context.Context) (func() error, error) {
	for {
		release, noticed, err := c.lockOrNotice(ctx)
		if !noticed {
			return release, err
		}
		c.storeChanged()
		if !c.r.cur.Load().due(c.r.cfg.Clock.Now()) {
			return nil, nil
		}
	}
}

// lockOrNotice takes the lock, or gives up waiting for it when the store
// reports a change, and then reports noticed.
func (c *shared) lockOrNotice(ctx context.Context) (release func() error, noticed bool, err error) {
	if c.r.changed == nil {
		release, err = c.locker.Lock(ctx)
		return release, false, err
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	locked, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-c.r.changed:
			noticed = true
			cancel()
		case <-locked:
		}
	}()
	release, err = c.locker.Lock(lctx)
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
func (c *shared) lastResortAfter(err error) bool {
	r := c.r
	if r.ctx.Err() == nil {
		r.storeFailed(err)
		if r.cur.Load().lastResort(r.cfg.Clock.Now()) {
			r.cfg.Logger.Warn("tokenrefresh: the token is about to die and the shared store cannot be used: rotating without its lock",
				"error", r.redacted(err))
			return true
		}
	}
	r.fail(time.Time{}, err)
	return false
}

// allowRotation, for a token the server rejected, asks the rejection
// limit whether it may be rotated now (the store holds no successor). If
// not, the token is served again, as Invalidate does for a store of one's
// own: the rejection goes back to the callers at once.
func (c *shared) allowRotation() bool {
	r := c.r
	s := r.cur.Load()
	now := r.cfg.Clock.Now()
	if s == nil || !s.invalid {
		return true
	}
	r.mu.Lock()
	allowed := r.limiterLocked().Allow(now, s.obtained)
	r.mu.Unlock()
	if allowed {
		return true
	}
	ns := s.forgiven()
	if !r.cur.CompareAndSwap(s, ns) {
		return true // replaced meanwhile: decide again in the attempt
	}
	r.mu.Lock()
	r.endAttemptLocked()
	r.mu.Unlock()
	r.observe(Event{Kind: RejectionLimited, At: now})
	return false
}

// adoptStored reloads the shared store under its lock, and returns what
// it holds; if that is a token of this lineage to adopt in place of ours
// (see newer) that is not yet due, it publishes it and reports true. A
// token of ours that the store has not yet taken is the newest of the
// lineage, and is kept.
func (c *shared) adoptStored(ctx context.Context) (*Entry, bool, error) {
	r := c.r
	e, err := r.cfg.Store.Load(ctx)
	if errors.Is(err, ErrNoToken) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	r.mu.Lock()
	unsaved := r.unsaved != nil
	r.mu.Unlock()
	old := r.cur.Load()
	now := r.cfg.Clock.Now()
	if !unsaved && c.adoptPlan(e, old) {
		return e, !r.cur.Load().due(now), nil
	}
	if unsaved || e.Lineage != r.lineage || !newer(e, old) {
		return e, false, nil
	}
	r.remember(e.Token.Reveal())
	ns := r.newState(e)
	if ns.due(now) {
		// Rotate the stored token, not our older one that it replaced.
		r.plan(ns, now)
		r.swapIn(old, ns)
		return e, false, nil
	}
	r.publish(old, e, nil, time.Time{})
	return e, true, nil
}

// replan, with a fence and under the shared store's lock, puts off a
// rotation that is overdue: its planned moment and fence have passed (the
// store, the lock or the token server failed meanwhile), so the other
// processes serve the token unfenced and would meet 401s if it were
// rotated now. It saves the token again with Due 2*Fence ahead, so that
// every process, told by the store, holds its callers for that moment,
// and reports true: the attempt is over. A token about to die, or one
// the store has not taken yet, is rotated at once instead; so is one the
// server rejected during the save (the swap fails).
func (c *shared) replan(ctx context.Context) bool {
	r := c.r
	if r.fence().length <= 0 {
		return false
	}
	now := r.cfg.Clock.Now()
	s := r.cur.Load()
	r.mu.Lock()
	unsaved := r.unsaved != nil
	r.mu.Unlock()
	if unsaved || !s.usable(now) || s.refreshAt.IsZero() || before(now, s.refreshAt.Add(r.fence().length)) || s.lastResort(now) {
		return false
	}
	e := &Entry{Token: secret.New(s.tok), Obtained: s.obtained, Lineage: r.lineage, Due: now.Add(2 * r.fence().length)}
	if err := r.save(ctx, e); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not plan the overdue rotation with the other processes; rotating now",
			"error", r.redacted(err))
		return false
	}
	if !r.cur.CompareAndSwap(s, r.newState(e)) {
		return false // rejected during the save: rotate it now
	}
	r.mu.Lock()
	r.setRetryAtLocked(time.Time{})
	r.endAttemptLocked()
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: the rotation is overdue; planned it with the other processes", "at", e.Due)
	return true
}

// adoptPlan, with a fence, takes up the moment of rotation that another
// process agreed for the current token (see replan) and reports whether
// it did. The agreed moment replaces this process's own backoff: a retry
// planned later would lift its fence (see fence.holds) and let its
// callers use the token the others are about to rotate.
func (c *shared) adoptPlan(e *Entry, cur *state) bool {
	r := c.r
	if !r.fence().agreed(e) || cur == nil || cur.invalid || e.Lineage != r.lineage || e.Token.Reveal().AccessToken != cur.tok.AccessToken ||
		e.Due.Equal(cur.agreed) {
		return false
	}
	if !r.cur.CompareAndSwap(cur, r.newState(e)) {
		return false // rejected meanwhile: the loop decides again
	}
	r.mu.Lock()
	r.setRetryAtLocked(time.Time{})
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: another process planned the overdue rotation", "at", e.Due)
	r.observe(Event{Kind: Adopted, Expiry: e.Token.Reveal().Expiry, Retry: e.Due})
	return true
}

// storeChanged acts on a change notification from the store. A token of
// ours still waiting to be saved is saved now, since the store may be
// back. Otherwise the store is reloaded without the lock: a newer token of
// the lineage is adopted; if the store lost the current token or holds an
// older one, ours is written back.
func (c *shared) storeChanged() {
	r := c.r
	r.mu.Lock()
	unsaved := r.unsaved
	r.mu.Unlock()
	if unsaved != nil {
		r.retrySave(unsaved)
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.AttemptTimeout)
	defer cancel()
	e, err := r.cfg.Store.Load(ctx)
	if err != nil && !errors.Is(err, ErrNoToken) {
		if r.ctx.Err() == nil {
			r.storeFailed(fmt.Errorf("tokenrefresh: reload the token store: %w", err))
		}
		return
	}
	r.storeOK()
	old := r.cur.Load()
	now := r.cfg.Clock.Now()
	switch {
	case e == nil || e.Lineage == r.lineage && older(e, old):
		c.writeBack(ctx, old)
	case c.adoptPlan(e, old):
		// Another process planned the overdue rotation: done.
	case e.Lineage == r.lineage && newer(e, old) && (e.Token.Reveal().Expiry.IsZero() || before(now, e.Token.Reveal().Expiry)):
		r.remember(e.Token.Reveal())
		r.publish(old, e, nil, time.Time{})
	}
}

// writeBack stores s's token again if the store, checked again under its
// lock, lacks it or holds an older one of the lineage: it lost it (a
// restart without persistence) or went back to an old copy. Only a token
// known to be current is written: one that was obtained (not an Initial
// token of unknown age), still usable, and not followed by a permanent
// failure.
func (c *shared) writeBack(ctx context.Context, s *state) {
	r := c.r
	r.mu.Lock()
	perm := r.permErr != nil
	r.mu.Unlock()
	if perm || s == nil || s.obtained.IsZero() || !s.usable(r.cfg.Clock.Now()) {
		return
	}
	unlock, err := c.lockLogged(ctx)
	if err != nil {
		r.storeFailed(err)
		return
	}
	defer unlock()
	if c.locker != nil {
		e, err := r.cfg.Store.Load(ctx)
		switch {
		case errors.Is(err, ErrNoToken):
		case err != nil:
			r.storeFailed(fmt.Errorf("tokenrefresh: reload the shared token store: %w", err))
			return
		case e.Lineage != r.lineage || !older(e, s):
			return
		}
	}
	if err := r.save(ctx, &Entry{Token: secret.New(s.tok), Obtained: s.obtained, Lineage: r.lineage, Due: s.agreed}); err != nil {
		r.storeFailed(err)
		return
	}
	r.cfg.Logger.Info("tokenrefresh: the store had lost the current token or held an older one; wrote the current one back")
}

// newer reports whether e holds a token to adopt in place of cur's:
// another token, not obtained before it. Obtained times come from the
// clocks of the processes that rotated, which must agree to well within a
// rotation interval, as the fixed-interval schedule needs anyway.
func newer(e *Entry, cur *state) bool {
	switch {
	case e.Token.IsZero() || e.Token.Reveal().AccessToken == "":
		return false
	case cur == nil:
		return true
	case e.Token.Reveal().AccessToken == cur.tok.AccessToken:
		return false
	}
	return cur.obtained.IsZero() || e.Obtained.IsZero() || !e.Obtained.Before(cur.obtained)
}

// older reports whether e holds another token than cur's, obtained before
// it.
func older(e *Entry, cur *state) bool {
	return cur != nil && !e.Token.IsZero() && e.Token.Reveal().AccessToken != cur.tok.AccessToken &&
		!e.Obtained.IsZero() && !cur.obtained.IsZero() && e.Obtained.Before(cur.obtained)
}
