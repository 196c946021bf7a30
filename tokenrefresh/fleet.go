package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
)

// This file holds what a Refresher does for a fleet sharing one store:
// watching it, adopting tokens rotated elsewhere without the lock, writing
// the current token back when the store lost it, and tracking whether the
// store can be used.

// watch runs the store's Watch until Close.
func (r *Refresher) watch(w Watcher) {
	defer close(r.watchDone)
	err := w.Watch(r.ctx, r.onWatch)
	if r.ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	msg := r.redact(err)
	r.mu.Unlock()
	r.cfg.Logger.Warn("tokenrefresh: watching the token store stopped; tokens rotated elsewhere are adopted at the next refresh",
		"error", msg)
}

// onWatch receives the store's notifications: a change is passed to the
// loop, a lost contact is recorded for Status.
func (r *Refresher) onWatch(err error) {
	if err != nil {
		r.storeFailed(err)
		return
	}
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// storeFailed records that the store could not be used.
func (r *Refresher) storeFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.storeErr == nil {
		r.cfg.Logger.Warn("tokenrefresh: the token store cannot be used; the current token is served meanwhile",
			"error", r.redact(err))
	}
	r.storeErr = err
}

// storeOK records that the store answered.
func (r *Refresher) storeOK() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.storeErr != nil {
		r.cfg.Logger.Info("tokenrefresh: the token store answers again")
	}
	r.storeErr = nil
}

// reload acts on a change notification from the store. A token of ours
// still waiting to be saved is saved now, since the store may be back.
// Otherwise the store is reloaded without the lock: a newer token of the
// lineage is adopted; if the store lost the current token or holds an
// older one, ours is written back.
func (r *Refresher) reload() {
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
		r.writeBack(ctx, old)
	case r.adoptPlan(e, old):
		// Another process planned the overdue rotation: done.
	case e.Lineage == r.lineage && newer(e, old) && (e.Token.Expiry.IsZero() || now.Before(e.Token.Expiry)):
		r.remember(e.Token)
		r.publish(old, e, nil)
		r.cfg.Logger.Info("tokenrefresh: adopted the token another process rotated")
	}
}

// writeBack stores s's token again if the store, checked again under its
// lock, lacks it or holds an older one of the lineage: it lost it (a
// restart without persistence) or went back to an old copy. Only a token
// known to be current is written: one that was obtained (not an Initial
// token of unknown age), still usable, and not followed by a permanent
// failure.
func (r *Refresher) writeBack(ctx context.Context, s *state) {
	r.mu.Lock()
	perm := r.permErr != nil
	r.mu.Unlock()
	if perm || s == nil || s.obtained.IsZero() || !s.usable(r.cfg.Clock.Now()) {
		return
	}
	if l, ok := r.cfg.Store.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			r.storeFailed(fmt.Errorf("tokenrefresh: lock the shared token store: %w", err))
			return
		}
		defer func() {
			if err := unlock(); err != nil {
				r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", r.redact(err))
			}
		}()
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
	if err := r.save(ctx, &Entry{Token: s.tok, Obtained: s.obtained, Lineage: r.lineage, Due: s.agreed}); err != nil {
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
	case e.Token == nil || e.Token.AccessToken == "":
		return false
	case cur == nil:
		return true
	case e.Token.AccessToken == cur.tok.AccessToken:
		return false
	}
	return cur.obtained.IsZero() || e.Obtained.IsZero() || !e.Obtained.Before(cur.obtained)
}

// older reports whether e holds another token than cur's, obtained before
// it.
func older(e *Entry, cur *state) bool {
	return cur != nil && e.Token != nil && e.Token.AccessToken != cur.tok.AccessToken &&
		!e.Obtained.IsZero() && !cur.obtained.IsZero() && e.Obtained.Before(cur.obtained)
}
