package tokenrefresh

import "context"

// A coordinator is how a Refresher's attempts meet its store: alone
// (solo), or with the other processes that share the store (shared, in
// fleet.go). The loop calls it; it obtains tokens with Refresher.obtain
// and publishes with Refresher.publish.
type coordinator interface {
	// seed writes the initial token to an empty store, and returns the
	// entry to start from.
	seed(ctx context.Context, initial *Entry) *Entry
	// refresh runs one attempt that is due: it obtains, saves and
	// publishes a token, or adopts one, or records a failure.
	refresh(ctx context.Context)
	// saveAlone saves e as the one writer of the lineage: under the
	// store's lock, if it has one.
	saveAlone(ctx context.Context, e *Entry) error
	// storeChanged acts on a change notification from the store.
	storeChanged()
	// sharesRejections reports whether a token the server rejected may
	// have a successor in the store: rejections then reload the store at
	// once, and the rejection limit applies to rotations only.
	sharesRejections() bool
}

// newCoordinator returns the coordinator of r's store: shared if other
// processes can use it with r (a Locker or a Watcher), else solo.
func newCoordinator(r *Refresher) coordinator {
	l, locks := r.cfg.Store.(Locker)
	_, watches := r.cfg.Store.(Watcher)
	if locks || watches {
		return &shared{r: r, locker: l, owner: newOwnerID()}
	}
	return solo{r}
}

// solo is the coordinator of a Refresher that has its store (if any) to
// itself: an attempt is a call of the RefreshFunc, a save and a publish.
type solo struct{ r *Refresher }

// seed saves the initial token, so that a program that dies before its
// first refresh (a browser login, a token pasted from a web page) still
// finds it on restart. A failure is logged, not fatal: the first refresh
// saves again.
func (c solo) seed(ctx context.Context, initial *Entry) *Entry {
	if initial == nil {
		return nil
	}
	if err := c.r.save(ctx, initial); err != nil {
		c.r.cfg.Logger.Warn("tokenrefresh: could not save the initial token; the first refresh will", "error", c.r.redacted(err))
	}
	return initial
}

func (c solo) refresh(ctx context.Context) { c.r.obtain(ctx) }

func (c solo) saveAlone(ctx context.Context, e *Entry) error { return c.r.save(ctx, e) }

func (solo) storeChanged() {}

func (solo) sharesRejections() bool { return false }
