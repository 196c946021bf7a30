package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/internal/rejectlimit"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// A Refresher keeps one token alive. It is safe for concurrent use; create
// one per lineage, share it, and Close it when done.
type Refresher struct {
	cfg     Config
	lineage string
	coord   coordinator // solo, or shared with the processes of a fleet
	// jumps watches cfg.Clock's wall clock jumping ahead of its timers,
	// if it is a runtimeClock (the system clock); unwatched otherwise.
	// Fresh tokens are marked only with a runtimeClock (see markFresh).
	jumps *clockWatch

	// cur is the published state. Token reads it without a lock. It
	// changes only by CompareAndSwap from the state its writer read (the
	// loop, or Invalidate); a writer whose swap fails lost a race and
	// decides again from the state it finds. Nothing ever Stores it.
	cur atomic.Pointer[state]
	// backoffUntil mirrors retryAt in Unix nanoseconds, so Token can see
	// without a lock that nudging the loop would be pointless.
	backoffUntil atomic.Int64
	// stopped is true while no rotation is coming (after Close, or a
	// permanent failure): the fence then holds nobody.
	stopped atomic.Bool
	// waiters counts the callers in Token's slow path: while there are
	// some and the token is dead, attempts come every second.
	waiters atomic.Int32

	kick chan struct{} // nudges the loop; capacity 1, sends never block
	// changed carries the store's change notifications to the loop
	// (capacity 1, sends never block); nil if the store is no Watcher.
	changed chan struct{}

	ctx    context.Context // the loop's own; Close cancels it at once
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has exited
	// watchDone is closed when the store's Watch has returned (at once if
	// the store is no Watcher).
	watchDone chan struct{}

	// The fields below are made when first needed, so that an idle
	// Refresher costs little: a process may keep 100,000 lineages.
	mu          sync.Mutex           // guards the fields below
	limit       *rejectlimit.Limiter // replacements after a rejection
	lost        chan struct{}        // closed when the token is lost for good
	cancelCall  context.CancelFunc   // cancels the RefreshFunc call in flight
	graceOver   bool                 // Close's grace has ended: calls are cancelled at once
	attempting  bool                 // a RefreshFunc call is in flight, or its token being saved
	attemptDone chan struct{}        // closed when the attempt ends; nil while nobody waits
	failures    int                  // consecutive failed attempts
	lastErr     error                // error of the last failed attempt or save
	permErr     error                // set when retrying cannot help; stops retries
	lostErr     error                // the error that closed lost
	retryAt     time.Time            // no attempt before this (backoff)
	quickAt     int64                // Unix ns: no attempt before this while callers wait for a dead token
	lastRefresh time.Time            // when the last token was published
	unsaved     *Entry               // a published entry the store has not taken yet
	storeErr    error                // why the store could not be used last time; nil if it could
	inDoubt     bool                 // the last attempt may have been applied without its answer
	secrets     redact.Registry      // recent token values, scrubbed from errors; safe for concurrent use
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
		cfg:     cfg,
		lineage: LineageOf(cfg.Initial.Reveal()),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	r.jumps = unwatched
	if rc, ok := cfg.Clock.(runtimeClock); ok {
		r.jumps = rc.jumps()
	}
	r.coord = newCoordinator(r)
	start, err := r.initialEntry(ctx)
	if err != nil {
		return nil, err
	}
	if r.jumps.watching() {
		r.jumps.acquire() // released by the loop when it exits
	}
	if start != nil {
		r.remember(start.Token.Reveal())
		r.inDoubt = start.InDoubt
		r.cur.CompareAndSwap(nil, r.newState(start))
	}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.watchDone = closed
	if w, ok := cfg.Store.(Watcher); ok {
		r.watchDone = make(chan struct{})
		r.changed = make(chan struct{}, 1)
		go r.watch(w)
	}
	go r.run()
	return r, nil
}

// initialEntry picks the token to start from: the stored one if it belongs
// to the same lineage as cfg.Initial (or if there is no Initial), else
// cfg.Initial, else none.
func (r *Refresher) initialEntry(ctx context.Context) (*Entry, error) {
	var initial *Entry
	if !r.cfg.Initial.IsZero() {
		t := *r.cfg.Initial.Reveal()
		initial = &Entry{Token: secret.New(&t), Lineage: r.lineage}
	}
	if r.cfg.Store == nil {
		return initial, nil
	}
	stored, err := r.cfg.Store.Load(ctx)
	switch {
	case errors.Is(err, ErrNoToken):
		return r.coord.seed(ctx, initial), nil
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

// Invalidate tells the Refresher that the server rejected rejected (for
// example with 401 invalid_token). If rejected is still the current token,
// it becomes invalid and is replaced at once; otherwise, because another
// caller already caused a refresh, Invalidate does nothing.
//
// Replacements after rejections come at a bounded rate: at most one a
// second, and less often while the tokens that replace rejected ones are
// rejected in turn (up to one in five minutes); a rejection while a
// refresh is in flight only waits for it. A rejection that comes sooner
// leaves the token as it is, so the caller's request fails with
// the server's answer at once (bearer.Transport does not replay it)
// rather than wait for a token the server will reject too. With a shared
// store the limit applies to rotations, not to reloading the store.
func (r *Refresher) Invalidate(rejected *oauth2.Token) {
	if rejected == nil {
		return
	}
	r.mu.Lock() // one rejection decides at a time
	s := r.cur.Load()
	if !s.holds(rejected) {
		r.mu.Unlock()
		return
	}
	now := r.cfg.Clock.Now()
	// A refresh in flight replaces the token anyway (a rotation Charon
	// has applied, whose answer is on its way): waiting for it costs the
	// server nothing, and is not limited.
	if !r.coord.sharesRejections() && !r.attempting && !r.limiterLocked().Allow(now, s.obtained) {
		r.mu.Unlock()
		r.observe(Event{Kind: RejectionLimited, At: now})
		return
	}
	for !r.cur.CompareAndSwap(s, s.rejected()) {
		if s = r.cur.Load(); !s.holds(rejected) {
			r.mu.Unlock()
			return // replaced meanwhile
		}
	}
	if r.coord.sharesRejections() {
		// Another process most likely rotated it: reload the shared
		// store now, even while backing off from failed attempts (a
		// store that was down), rather than fail every caller until the
		// backoff ends.
		r.setRetryAtLocked(time.Time{})
	}
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: server rejected the current token; refreshing")
	r.observe(Event{Kind: Rejected, At: now})
	r.nudge()
}

// closed is a closed channel: the watchDone of a store that does not
// watch.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// fence returns the fence of r's configuration.
func (r *Refresher) fence() fence { return fence{length: r.cfg.Fence, attempt: r.cfg.AttemptTimeout} }

// attemptDoneLocked returns the channel closed when the attempt in flight,
// or the next one, ends.
func (r *Refresher) attemptDoneLocked() <-chan struct{} {
	if r.attemptDone == nil {
		r.attemptDone = make(chan struct{})
	}
	return r.attemptDone
}

// limiterLocked returns the rejection limit, made on first use.
func (r *Refresher) limiterLocked() *rejectlimit.Limiter {
	if r.limit == nil {
		r.limit = rejectlimit.New(rejectlimit.DefaultMin, rejectlimit.DefaultMax)
	}
	return r.limit
}

func (r *Refresher) nudge() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Lost returns a channel that is closed when the token can no longer be
// kept alive: a refresh failed permanently (see [Permanent]); [Refresher.Err]
// says why. No retry follows; with a shared store, a token another
// process saves is still adopted.
func (r *Refresher) Lost() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lost == nil {
		r.lost = make(chan struct{})
		if r.lostErr != nil {
			close(r.lost)
		}
	}
	return r.lost
}

// Err returns why the token was lost once [Refresher.Lost] is closed, and
// nil before. Its message holds no token value and says what to do.
func (r *Refresher) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lostErr
}

// Close stops the background loop, and the store's Watch if it has one,
// and waits for them to exit; no goroutine of the Refresher outlives it.
// Anything that has not sent a request (a wait for the store's lock, a
// backoff) ends at once. A call of the RefreshFunc in flight gets
// [Config.CloseGrace] (in real time) to finish before its context is cancelled, since
// the server may have applied it; what it returns is saved, on a context
// Close does not cancel, and published. Close is idempotent; Token keeps
// serving a still valid token after it, and returns ErrClosed once a new
// one is needed.
func (r *Refresher) Close() error {
	r.stopped.Store(true)
	r.cancel()
	// The grace bounds network I/O: it runs on the real clock.
	grace := time.NewTimer(r.cfg.CloseGrace)
	select {
	case <-r.done:
	case <-grace.C:
		r.endGrace()
		<-r.done
	}
	grace.Stop()
	<-r.watchDone
	return nil
}

// endGrace cancels the RefreshFunc call in flight, and any that would
// start: Close's grace is over.
func (r *Refresher) endGrace() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.graceOver = true
	if r.cancelCall != nil {
		r.cancelCall()
	}
}
