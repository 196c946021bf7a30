package tokenrefresh

import (
	"sync"
	"sync/atomic"
	"time"
)

// clockCheckInterval is how often a clockWatch compares the wall clock
// with the monotonic one. Timers run on the monotonic clock, which stops
// while a machine is suspended or a VM paused; the wall clock does not.
// After such a pause, a token marked fresh before it is served from its
// mark for up to this long (a request that meets the server's 401 then
// replaces it through Invalidate). A second: one wake-up a second for a
// whole process, and the same order as freshMargin.
const clockCheckInterval = time.Second

// clockJumpTolerance is how far the wall clock may drift from the
// monotonic one without voiding the fresh marks: half of freshMargin, the
// slack a mark keeps before its token is due. Drift builds up only from
// steps of the wall clock and suspends (slewing moves both clocks); a
// preempted read of the two clocks errs by milliseconds.
const clockJumpTolerance = freshMargin / 2

// A clockWatch notices the wall clock of a runtimeClock jumping away from
// its monotonic clock, and voids every fresh mark set before: a mark ends
// by a monotonic timer, which a suspend delays (see until). One serves a
// whole process; its goroutine runs while some Refresher uses it.
type clockWatch struct {
	// epoch counts the jumps seen: 1, 3, 5, ..., odd, so never 0, even
	// when it wraps. A fresh mark holds the epoch it was set in (0 is no
	// mark), and is void once epoch moves on.
	epoch atomic.Uint32
	// jumped is closed and replaced at each jump: it wakes the loops,
	// whose timers run on the monotonic clock.
	jumped atomic.Pointer[chan struct{}]
	// ref is the wall clock's offset from the monotonic clock, in
	// nanoseconds since origin, as of the last jump (or the start).
	ref    atomic.Int64
	now    func() time.Time // reads the clock; nil for unwatched
	origin time.Time        // the reading offsets are measured from

	mu    sync.Mutex    // guards users, stop, done
	users int           // Refreshers running with the watch
	stop  chan struct{} // closed to stop the goroutine
	done  chan struct{} // closed when the goroutine has exited
}

// newClockWatch returns a watch over the clock that now reads.
func newClockWatch(now func() time.Time) *clockWatch {
	w := &clockWatch{now: now, origin: now()}
	w.epoch.Store(1)
	ch := make(chan struct{})
	w.jumped.Store(&ch)
	return w
}

// unwatched is the watch of a clock that is not a runtimeClock (a fake
// one): it never runs, and no mark is ever set in its epoch.
var unwatched = func() *clockWatch {
	w := &clockWatch{}
	w.epoch.Store(1)
	return w
}()

// watching reports whether w watches a clock: false for unwatched.
func (w *clockWatch) watching() bool { return w.now != nil }

// offset returns how far t's wall reading is from its monotonic reading,
// relative to origin.
func (w *clockWatch) offset(t time.Time) time.Duration {
	return t.Round(0).Sub(w.origin.Round(0)) - t.Sub(w.origin)
}

// steady reports whether the clocks have kept together, at now (a
// reading of the watched clock), since the last jump the watch saw: a
// mark set now is void by the next check otherwise.
func (w *clockWatch) steady(now time.Time) bool {
	d := w.offset(now) - time.Duration(w.ref.Load())
	return d <= clockJumpTolerance && d >= -clockJumpTolerance
}

// check compares the clocks, and on a jump voids the marks and wakes the
// loops.
func (w *clockWatch) check() {
	ref := w.ref.Load()
	off := w.offset(w.now())
	if d := off - time.Duration(ref); d <= clockJumpTolerance && d >= -clockJumpTolerance {
		return
	}
	if !w.ref.CompareAndSwap(ref, int64(off)) {
		return // another check took it
	}
	w.epoch.Add(2)
	ch := make(chan struct{})
	close(*w.jumped.Swap(&ch))
}

// jumpedChan returns a channel closed at the next jump; nil (never) for
// unwatched.
func (w *clockWatch) jumpedChan() <-chan struct{} {
	if !w.watching() {
		return nil
	}
	return *w.jumped.Load()
}

// acquire counts a Refresher in, starting the goroutine for the first.
func (w *clockWatch) acquire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.users++
	if w.users > 1 {
		return
	}
	w.check() // what changed while nobody watched voids no mark: none is set
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.run(w.stop, w.done)
}

// release counts a Refresher out; after the last, it stops the goroutine
// and waits for it to exit.
func (w *clockWatch) release() {
	w.mu.Lock()
	w.users--
	if w.users > 0 {
		w.mu.Unlock()
		return
	}
	close(w.stop)
	done := w.done
	w.stop, w.done = nil, nil
	w.mu.Unlock()
	<-done
}

// run checks the clocks every clockCheckInterval until stop is closed.
func (w *clockWatch) run(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(clockCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			w.check()
		}
	}
}
