package tokenrefresh

import "time"

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
	// token or new credentials are needed. [Refresher.Lost] is closed.
	Permanent bool
	// InDoubt is true when the last attempt may have been applied by the
	// server without its answer arriving (see [InDoubt]): if the server
	// rejects the token now, the lineage is lost.
	InDoubt bool
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
		InDoubt:             r.inDoubt,
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
