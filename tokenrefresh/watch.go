package tokenrefresh

// This file holds what a Refresher learns from its store's Watch, and
// whether the store can be used.

// watch runs the store's Watch until Close.
func (r *Refresher) watch(w Watcher) {
	defer close(r.watchDone)
	err := w.Watch(r.ctx, r.onWatch)
	if r.ctx.Err() != nil {
		return
	}
	r.cfg.Logger.Warn("tokenrefresh: watching the token store stopped; tokens rotated elsewhere are adopted at the next refresh",
		"error", r.redacted(err))
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
	first := r.storeErr == nil
	r.storeErr = err
	r.mu.Unlock()
	if first {
		red := r.redacted(err)
		r.cfg.Logger.Warn("tokenrefresh: the token store cannot be used; the current token is served meanwhile", "error", red)
		r.observe(Event{Kind: StoreUnavailable, Err: red})
	}
}

// storeOK records that the store answered.
func (r *Refresher) storeOK() {
	r.mu.Lock()
	was := r.storeErr != nil
	r.storeErr = nil
	r.mu.Unlock()
	if was {
		r.cfg.Logger.Info("tokenrefresh: the token store answers again")
		r.observe(Event{Kind: StoreRecovered})
	}
}
