package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// A Refresher keeps one token alive. It is safe for concurrent use; create
// one per lineage, share it, and Close it when done.
type Refresher struct {
	cfg     Config
	lineage string

	// cur is the published token; Token reads it without a lock.
	cur  atomic.Pointer[state]
	kick chan struct{} // nudges the loop; capacity 1, sends never block
	// changed carries the store's change notifications to the loop
	// (capacity 1, sends never block); nil if the store is no Watcher.
	changed chan struct{}
	// backoffUntil mirrors retryAt in Unix nanoseconds, so Token can see
	// without a lock that nudging the loop would be pointless.
	backoffUntil atomic.Int64

	ctx    context.Context // the loop's own context, ended by Close
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has exited
	// watchDone is closed when the store's Watch has returned (at once if
	// the store is no Watcher).
	watchDone chan struct{}

	mu          sync.Mutex    // guards the fields below
	attemptDone chan struct{} // closed, and replaced, when an attempt ends
	failures    int           // consecutive failed attempts
	lastErr     error         // error of the last failed attempt or save
	permErr     error         // set when retrying cannot help; stops retries
	retryAt     time.Time     // no attempt before this (backoff)
	lastRefresh time.Time     // when the last token was published
	unsaved     *Entry        // a published entry the store has not taken yet
	storeErr    error         // why the store could not be used last time; nil if it could
	secrets     []string      // recent token values, scrubbed from errors
}

// state is one published token with its schedule. It is never modified
// after it is published; a change publishes a new state.
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
	// deadline is when the token is sure to be valid until: its expiry,
	// or for a token without one, obtained + Config.MaxAge; zero if
	// unknown.
	deadline time.Time
	// lastResortAt is when the token is about to die, so that it is
	// rotated even without the shared store's lock; zero: never.
	lastResortAt time.Time
}

// usable reports whether s can be served at now.
func (s *state) usable(now time.Time) bool {
	return s != nil && !s.invalid && (s.expiry.IsZero() || now.Before(s.expiry))
}

// due reports whether s should be replaced at now.
func (s *state) due(now time.Time) bool {
	return !s.usable(now) || (!s.refreshAt.IsZero() && !now.Before(s.refreshAt))
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
	return !s.invalid && !s.lastResortAt.IsZero() && !now.Before(s.lastResortAt)
}

// New validates cfg, resumes the lineage from cfg.Store when it holds one,
// and starts the background loop. ctx bounds only the initial Store load;
// the loop runs until [Refresher.Close].
func New(ctx context.Context, cfg Config) (*Refresher, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &Refresher{
		cfg:         cfg,
		lineage:     LineageOf(cfg.Initial),
		kick:        make(chan struct{}, 1),
		done:        make(chan struct{}),
		attemptDone: make(chan struct{}),
	}
	start, err := r.initialEntry(ctx)
	if err != nil {
		return nil, err
	}
	if start != nil {
		r.cur.Store(r.newState(start))
		r.remember(start.Token)
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.watchDone = make(chan struct{})
	if w, ok := cfg.Store.(Watcher); ok {
		r.changed = make(chan struct{}, 1)
		go r.watch(w)
	} else {
		close(r.watchDone)
	}
	go r.run()
	return r, nil
}

// initialEntry picks the token to start from: the stored one if it belongs
// to the same lineage as cfg.Initial (or if there is no Initial), else
// cfg.Initial, else none.
func (r *Refresher) initialEntry(ctx context.Context) (*Entry, error) {
	var initial *Entry
	if r.cfg.Initial != nil {
		t := *r.cfg.Initial
		initial = &Entry{Token: &t, Lineage: r.lineage}
	}
	if r.cfg.Store == nil {
		return initial, nil
	}
	stored, err := r.cfg.Store.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return r.seedStore(ctx, initial)
	case err != nil:
		return nil, fmt.Errorf("tokenrefresh: load the stored token: %w", err)
	case initial == nil || stored.Lineage == r.lineage:
		r.lineage = stored.Lineage
		return stored, nil
	default:
		r.cfg.Logger.Info("tokenrefresh: the given token starts a new lineage; the stored one is replaced at the next save")
		return initial, nil
	}
}

// seedStore writes the initial token to an empty store, so a program that
// dies before its first refresh (a browser login, a token pasted from a web
// page) still finds its token on restart. Under a shared store's lock it
// loads again first: if another process seeded or rotated the lineage
// meanwhile, that entry is used instead. A failure is logged, not fatal:
// the first refresh saves again.
func (r *Refresher) seedStore(ctx context.Context, initial *Entry) (*Entry, error) {
	if initial == nil {
		return nil, nil
	}
	if l, ok := r.cfg.Store.(Locker); ok {
		unlock, err := l.Lock(ctx)
		if err != nil {
			r.cfg.Logger.Warn("tokenrefresh: could not lock the store to save the initial token", "error", r.redact(err))
			return initial, nil
		}
		defer func() {
			if err := unlock(); err != nil {
				r.cfg.Logger.Warn("tokenrefresh: release the shared token lock", "error", r.redact(err))
			}
		}()
		if stored, err := r.cfg.Store.Load(ctx); err == nil && stored.Lineage == r.lineage {
			return stored, nil
		}
	}
	if err := r.cfg.Store.Save(ctx, initial); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not save the initial token; the first refresh will", "error", r.redact(err))
	}
	return initial, nil
}

// Token returns a valid token. While the current token is fresh it returns
// at once without locking or allocating; while it is stale it returns it and
// nudges the background refresh; when it is invalid it waits for the
// refresh in flight until ctx is done. With [Config.Fence], it also waits
// while the token is held back for its rotation.
func (r *Refresher) Token(ctx context.Context) (*oauth2.Token, error) {
	if s := r.cur.Load(); s != nil && !s.invalid {
		now := r.cfg.Clock.Now()
		if s.serveUntil.IsZero() || now.Before(s.serveUntil) {
			return s.tok, nil
		}
		if s.expiry.IsZero() || now.Before(s.expiry) {
			backoff := r.backoffUntil.Load()
			var retryAt time.Time
			if backoff != 0 {
				retryAt = time.Unix(0, backoff)
			}
			if _, held := r.heldUntil(s, retryAt, now); !held {
				if now.UnixNano() >= backoff && !now.Before(s.refreshAt) {
					r.nudge()
				}
				return s.tok, nil
			}
		}
	}
	return r.wait(ctx)
}

// wait blocks until the next refresh attempt ends, and returns its result.
// While the current token is held back by the fence, it waits for a new
// token until the fence ends, then serves the current one.
func (r *Refresher) wait(ctx context.Context) (*oauth2.Token, error) {
	// Each pass but the last waits for an attempt to end or for the fence
	// to; a fence ends by time, so the passes are bounded.
	for {
		r.mu.Lock()
		now := r.cfg.Clock.Now()
		s := r.cur.Load()
		end, held := r.heldLocked(s, now)
		if !held && s.usable(now) {
			r.mu.Unlock()
			return s.tok, nil
		}
		if !held {
			if err := r.failFastLocked(now); err != nil {
				r.mu.Unlock()
				return nil, err
			}
		}
		ch := r.attemptDone
		r.mu.Unlock()

		var fenceEnd <-chan time.Time
		stop := func() bool { return false }
		if held {
			fenceEnd, stop = r.cfg.Clock.NewTimer(end.Sub(now))
		} else {
			r.nudge()
		}
		select {
		case <-ch:
		case <-fenceEnd:
		case <-ctx.Done():
			stop()
			return nil, fmt.Errorf("tokenrefresh: waiting for a token: %w", ctx.Err())
		case <-r.done:
			if !held {
				return nil, ErrClosed
			}
		}
		stop()
		if !held {
			break
		}
	}
	if s := r.cur.Load(); s.usable(r.cfg.Clock.Now()) {
		return s.tok, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.failFastLocked(r.cfg.Clock.Now()); err != nil {
		return nil, err
	}
	return nil, errors.New("tokenrefresh: no valid token after a refresh attempt")
}

// heldLocked reports whether s is held back from callers at now for its
// rotation (see Config.Fence), and until when. A token is not held once no
// rotation is coming: after Close or a permanent failure.
func (r *Refresher) heldLocked(s *state, now time.Time) (time.Time, bool) {
	if !s.usable(now) || r.ctx.Err() != nil || r.permErr != nil {
		return time.Time{}, false
	}
	return r.heldUntil(s, r.retryAt, now)
}

// failFastLocked returns the error to give a caller that needs a new token
// now but cannot get one soon: the refresher is closed, failed permanently,
// or is backing off after a failure.
func (r *Refresher) failFastLocked(now time.Time) error {
	switch {
	case r.ctx.Err() != nil:
		return ErrClosed
	case r.permErr != nil:
		return &redactedError{
			msg: "tokenrefresh: token refresh failed and will not be retried: " + r.redact(r.permErr),
			err: r.permErr,
		}
	case r.failures > 0 && now.Before(r.retryAt):
		return &redactedError{
			msg: fmt.Sprintf("tokenrefresh: no valid token: refresh failed %d times, next attempt in %v: %s",
				r.failures, r.retryAt.Sub(now).Round(time.Millisecond), r.redact(r.lastErr)),
			err: r.lastErr,
		}
	}
	return nil
}

// Invalidate tells the Refresher that the server rejected rejected (for
// example with 401 invalid_token). If rejected is still the current token,
// it becomes invalid and is replaced at once; otherwise, because another
// caller already caused a refresh, Invalidate does nothing.
func (r *Refresher) Invalidate(rejected *oauth2.Token) {
	if rejected == nil {
		return
	}
	for {
		s := r.cur.Load()
		if s == nil || s.invalid || s.tok.AccessToken != rejected.AccessToken {
			return
		}
		ns := *s
		ns.invalid = true
		if r.cur.CompareAndSwap(s, &ns) {
			r.cfg.Logger.Info("tokenrefresh: server rejected the current token; refreshing")
			if _, fleet := r.cfg.Store.(Locker); fleet {
				// Another process most likely rotated it: reload the
				// shared store now, even while backing off from failed
				// attempts (a store that was down), rather than fail
				// every caller until the backoff ends.
				r.mu.Lock()
				r.setRetryAtLocked(time.Time{})
				r.mu.Unlock()
			}
			r.nudge()
			return
		}
	}
}

func (r *Refresher) nudge() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Close stops the background loop, and the store's Watch if it has one,
// and waits for them to exit. A refresh in flight is cancelled. Close is
// idempotent; Token keeps serving a still valid token after it, and
// returns ErrClosed once a new one is needed.
func (r *Refresher) Close() error {
	r.cancel()
	<-r.done
	<-r.watchDone
	return nil
}
