package tokenrefresh

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// suspendWait bounds each wait of these tests, so a broken one fails
// instead of hanging; the jumps watcher answers within
// clockCheckInterval.
const suspendWait = 10 * time.Second

// wallAhead returns t with its wall reading d later and its monotonic
// reading kept: what time.Now returns on a machine that was suspended
// (or a VM paused) for d since t. Go offers no way to build it, so it is
// written into the Time: with a monotonic reading, a Time's second word
// holds it (see TestWallAheadIsWhatASuspendLeaves).
func wallAhead(t time.Time, d time.Duration) time.Time {
	type layout struct {
		wall uint64
		ext  int64
	}
	u := t.Add(d) // moves both readings
	(*layout)(unsafe.Pointer(&u)).ext = (*layout)(unsafe.Pointer(&t)).ext
	return u
}

// suspendClock is the system clock of a machine that can be suspended:
// Now carries both readings, as time.Now does, and suspend moves the wall
// reading ahead while the monotonic one and the timers (the runtime's)
// go on as if nothing happened, as after a resume.
type suspendClock struct {
	ahead atomic.Int64 // the wall reading's lead, ns
	watch *clockWatch
}

func newSuspendClock() *suspendClock {
	c := &suspendClock{}
	c.watch = newClockWatch(c.Now)
	return c
}

func (c *suspendClock) Now() time.Time {
	return wallAhead(time.Now(), time.Duration(c.ahead.Load()))
}

func (c *suspendClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	return systemClock{}.NewTimer(d)
}

func (c *suspendClock) jumps() *clockWatch { return c.watch }

// suspend suspends the machine for d, and returns a channel that is
// closed when the jumps watcher has seen it.
func (c *suspendClock) suspend(d time.Duration) <-chan struct{} {
	seen := c.watch.jumpedChan()
	c.ahead.Add(int64(d))
	return seen
}

// expiredForServer reports whether a server whose clock agrees with the
// machine's wall clock sees tok as expired, as x/oauth2 decides it.
func (c *suspendClock) expiredForServer(tok *oauth2.Token) bool {
	return !tok.Expiry.IsZero() && !tok.Expiry.Round(0).After(c.Now().Round(0))
}

func awaitJump(t *testing.T, seen <-chan struct{}) {
	t.Helper()
	select {
	case <-seen:
	case <-time.After(suspendWait):
		t.Fatalf("the jumps watcher did not see the wall clock jump within %v", suspendWait)
	}
}

// The model the tests below rest on: after wallAhead, the wall clock is
// ahead by d, and the monotonic clock, by which Go compares two times
// that carry it, sees no time pass.
func TestWallAheadIsWhatASuspendLeaves(t *testing.T) {
	now := time.Now()
	after := wallAhead(now, 2*time.Hour)
	if got := after.Sub(now); got != 0 {
		t.Errorf("monotonic time between = %v; want 0 (the layout of time.Time changed: fix wallAhead)", got)
	}
	if got := after.Round(0).Sub(now.Round(0)); got != 2*time.Hour {
		t.Errorf("wall time between = %v; want 2h (the layout of time.Time changed: fix wallAhead)", got)
	}
	if !strings.Contains(after.String(), "m=") {
		t.Errorf("%v has lost its monotonic reading", after)
	}
	if d := until(now, after.Add(time.Minute)); d != time.Minute {
		t.Errorf("until(a minute after the jump) = %v; want 1m, by the monotonic clock", d)
	}
	if d := until(after, now.Add(time.Hour)); d != -time.Hour {
		t.Errorf("until(an hour after, seen after the jump) = %v; want -1h, by the wall clock", d)
	}
}

// suspendRefresher starts a Refresher on clk holding initial, whose
// RefreshFunc answers "next" for an hour, and reports its calls and its
// Refreshed events.
func suspendRefresher(t *testing.T, clk *suspendClock, cfg Config) (r *Refresher, calls, refreshed chan struct{}) {
	t.Helper()
	calls, refreshed = make(chan struct{}, 100), make(chan struct{}, 100)
	cfg.Clock = clk
	cfg.Refresh = func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		calls <- struct{}{}
		return &oauth2.Token{AccessToken: "next", RefreshToken: "r2", Expiry: clk.Now().Add(time.Hour)}, nil
	}
	cfg.Observer = ObserverFunc(func(e Event) {
		if e.Kind == Refreshed {
			refreshed <- struct{}{}
		}
	})
	r, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, calls, refreshed
}

// A machine suspended for longer than its token's life wakes up with the
// token expired by the wall clock, which the server judges by, while the
// monotonic clock, which orders timers and times that carry it, saw no
// time pass. Once the jumps watcher has seen it (within a second), Token
// no longer serves the dead token, from its fresh mark or by the clock:
// it waits for the new one.
func TestSuspendLongerThanTheTokenIsNotServedAfterResume(t *testing.T) {
	clk := newSuspendClock()
	expiry := clk.Now().Add(time.Hour) // carries a monotonic reading, as oauth's do
	r, calls, _ := suspendRefresher(t, clk, Config{Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: expiry})})
	if s := r.cur.Load(); !r.marked(s) {
		t.Fatal("a token fresh for 45 minutes is not marked fresh: this test would not try the fast path")
	}
	awaitJump(t, clk.suspend(2*time.Hour))
	tok, err := r.Token(context.Background())
	if err != nil || tok.AccessToken != "next" || clk.expiredForServer(tok) {
		t.Fatalf("Token() after a 2h suspend = %v, %v; want the new token, not the one that expired an hour ago", tok, err)
	}
	if len(calls) != 1 {
		t.Errorf("%d refreshes; want 1", len(calls))
	}
}

// A suspend past the refresh time but short of the expiry: the loop, whose
// timer ran on the monotonic clock, refreshes as soon as the watcher has
// seen the jump, with no caller asking. A rotating lineage (C2's Charon
// on its 55-minute interval) would otherwise sleep past its token's death
// and be lost; the still valid token is served meanwhile, without a wait.
func TestSuspendPastTheRefreshTimeRotatesAtResume(t *testing.T) {
	clk := newSuspendClock()
	now := clk.Now()
	r, _, refreshed := suspendRefresher(t, clk, Config{
		Initial:  secret.New(&oauth2.Token{AccessToken: "a", Expiry: now.Add(time.Hour)}),
		Interval: 55 * time.Minute, Jitter: -1,
	})
	if tok, err := r.Token(context.Background()); err != nil || tok.AccessToken != "a" {
		t.Fatalf("Token() = %v, %v; want the initial token", tok, err)
	}
	// Obtained is unknown for an Initial token: the first rotation comes
	// at once; the test starts from the token it gives.
	waitSignal(t, refreshed, "the first rotation")
	awaitJump(t, clk.suspend(57*time.Minute))
	waitSignal(t, refreshed, "the rotation at resume")
	if tok, err := r.Token(context.Background()); err != nil || clk.expiredForServer(tok) {
		t.Errorf("Token() after the rotation = %v, %v; want a valid token", tok, err)
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(suspendWait):
		t.Fatalf("%s did not come within %v", what, suspendWait)
	}
}

// A short suspend leaves the token fresh by both clocks: the jump voids
// the mark's epoch, Token serves the token by the clock meanwhile, and
// the loop (or markFresh, which it calls) marks it again in the new epoch.
func TestMarkIsRenewedAfterAShortSuspend(t *testing.T) {
	clk := newSuspendClock()
	r, _, _ := suspendRefresher(t, clk, Config{Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: clk.Now().Add(time.Hour)})})
	s := r.cur.Load()
	mark := s.fresh.Load()
	awaitJump(t, clk.suspend(time.Minute))
	if mark == r.jumps.epoch.Load() {
		t.Fatal("the mark set before the jump is still in the watcher's epoch")
	}
	if tok, err := r.Token(context.Background()); err != nil || tok.AccessToken != "a" {
		t.Fatalf("Token() after a minute's suspend = %v, %v; want the still fresh token", tok, err)
	}
	r.markFresh(s) // what the loop does when it wakes for the jump
	if !r.marked(s) {
		t.Error("the mark of a token still fresh by both clocks was not renewed")
	}
}

// The watcher sees the wall clock jump either way past its tolerance,
// and nothing less; until it has checked, the clocks are not steady, so
// no mark is set that its next check would not void.
func TestClockWatchSeesJumps(t *testing.T) {
	clk := newSuspendClock()
	w := clk.watch // not acquired: no goroutine checks but the test
	for _, jump := range []time.Duration{clockJumpTolerance / 2, -time.Minute, time.Hour} {
		epoch, seen := w.epoch.Load(), w.jumpedChan()
		clk.ahead.Add(int64(jump))
		big := jump > clockJumpTolerance || jump < -clockJumpTolerance
		if steady := w.steady(clk.Now()); steady == big {
			t.Errorf("after a jump of %v, steady = %v; want %v", jump, steady, !big)
		}
		w.check()
		select {
		case <-seen:
			if !big {
				t.Errorf("a jump of %v, within the tolerance, woke the loops", jump)
			}
		default:
			if big {
				t.Errorf("a jump of %v did not wake the loops", jump)
			}
		}
		if moved := w.epoch.Load() != epoch; moved != big {
			t.Errorf("after a jump of %v the epoch moved: %v; want %v", jump, moved, big)
		}
		if !w.steady(clk.Now()) {
			t.Errorf("after the check of a jump of %v the clocks are not steady", jump)
		}
	}
}

// scriptedStore is a MemoryStore whose n-th Save (from 1) first asks
// before, which may block or fail it.
type scriptedStore struct {
	MemoryStore
	saves  atomic.Int32
	before func(ctx context.Context, n int) error
}

func (s *scriptedStore) Save(ctx context.Context, e *Entry) error {
	if err := s.before(ctx, int(s.saves.Add(1))); err != nil {
		return err
	}
	return s.MemoryStore.Save(ctx, e)
}

// A loop busy with the store (a save retried while the store hangs)
// cannot clear or renew a mark when the machine resumes: the watcher's
// epoch voids it all the same, and Token goes by the clock.
func TestSuspendWhileTheLoopIsBusyVoidsTheMark(t *testing.T) {
	clk := newSuspendClock()
	inSave, release := make(chan struct{}), make(chan struct{})
	st := &scriptedStore{before: func(ctx context.Context, n int) error {
		switch n {
		case 2: // the first rotation's
			return errors.New("store down")
		case 3: // its retry, hanging while the machine sleeps
			close(inSave)
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}}
	r, _, refreshed := suspendRefresher(t, clk, Config{
		Initial:  secret.New(&oauth2.Token{AccessToken: "a"}), // unknown age: rotated at once
		Interval: 55 * time.Minute, Jitter: -1, Store: st,
	})
	waitSignal(t, refreshed, "the first rotation")
	waitSignal(t, inSave, "the retried save")
	if s := r.cur.Load(); !r.marked(s) {
		t.Fatal("the rotated token is not marked fresh: this test would not try the mark")
	}
	awaitJump(t, clk.suspend(2*time.Hour))
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if tok, err := r.Token(done); err == nil {
		t.Fatalf("Token() while the loop is busy, after a 2h suspend = %v (expired for the server: %v); want a wait for a new token", tok, clk.expiredForServer(tok))
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), suspendWait)
	defer cancel()
	if tok, err := r.Token(ctx); err != nil || clk.expiredForServer(tok) {
		t.Errorf("Token() once the store answers = %v, %v; want a valid token", tok, err)
	}
}

// A step back of the wall clock (a clock that ran ahead, corrected) does
// not put off the refresh: the monotonic reading still says it is due, and
// a time is reached when either reading says so. A token due in 1.5 s,
// the wall clock an hour back: the refresh comes on time, not in an hour.
func TestWallClockStepBackDoesNotDelayTheRefresh(t *testing.T) {
	clk := newSuspendClock()
	r, calls, refreshed := suspendRefresher(t, clk, Config{
		Initial:     secret.New(&oauth2.Token{AccessToken: "a", Expiry: clk.Now().Add(3 * time.Second)}),
		EarlyWindow: 2 * time.Second, Jitter: -1,
	})
	awaitJump(t, clk.suspend(-time.Hour))
	waitSignal(t, refreshed, "the refresh planned 1.5 s ahead")
	if tok, err := r.Token(context.Background()); err != nil || tok.AccessToken != "next" {
		t.Errorf("Token() after the refresh = %v, %v; want the new token", tok, err)
	}
	if len(calls) != 1 {
		t.Errorf("%d refreshes; want 1", len(calls))
	}
}
