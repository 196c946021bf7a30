package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// The shape of the fence tests: a token without expiry obtained at epoch,
// rotated every fenceInterval, held back from callers fence before.
const (
	fenceInterval = 10 * time.Minute
	fence         = 2 * time.Second
)

// fenced starts a Refresher with a fence from a stored token "old",
// obtained at epoch, and returns it with its clock and the planned
// rotation. The loop is parked on that rotation.
func fenced(t *testing.T, src *source) (*tokenrefresh.Refresher, *fakeclock.Clock, time.Time) {
	t.Helper()
	clk := newClock()
	store := &tokenrefresh.MemoryStore{}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: fence, RetryMin: 30 * time.Second}, src)
	at := epoch.Add(fenceInterval)
	if got := parked(t, clk); !got.Equal(at) {
		t.Fatalf("rotation planned at %v; want %v", got, at)
	}
	return r, clk, at
}

// asyncToken calls Token in a goroutine and returns where its result
// arrives.
type result struct {
	tok *oauth2.Token
	err error
}

func asyncToken(ctx context.Context, r *tokenrefresh.Refresher) <-chan result {
	ch := make(chan result, 1)
	go func() {
		tok, err := r.Token(ctx)
		ch <- result{tok, err}
	}()
	return ch
}

// held starts a caller and waits until it is held back by the fence that
// ends at end (it has set a timer for it); it fails if the caller returned.
func held(t *testing.T, ctx context.Context, r *tokenrefresh.Refresher, clk *fakeclock.Clock, end time.Time) <-chan result {
	t.Helper()
	ch := asyncToken(ctx, r)
	awaitTimer(t, clk, "the fence's end", func(d time.Time) bool { return d.Equal(end) })
	select {
	case res := <-ch:
		t.Fatalf("Token() = %v, %v inside the fence; want it to wait", res.tok, res.err)
	default:
	}
	return ch
}

// got waits for a caller's result and checks it is the token want.
func got(t *testing.T, ch <-chan result, want string) {
	t.Helper()
	select {
	case res := <-ch:
		if res.err != nil || res.tok.AccessToken != want {
			t.Fatalf("Token() = %v, %v; want %s", res.tok, res.err, want)
		}
	case <-time.After(waitLimit):
		t.Fatalf("Token() did not return within %v", waitLimit)
	}
}

func TestFenceHoldsCallersUntilTheNewToken(t *testing.T) {
	gate := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-gate
		return rotating(n, cur)
	})
	r, clk, at := fenced(t, src)
	ctx := context.Background()

	clk.Advance(at.Add(-fence - time.Nanosecond).Sub(clk.Now()))
	if tok := mustToken(t, r); tok.AccessToken != "old" {
		t.Fatalf("Token() just before the fence = %q; want old", tok.AccessToken)
	}
	clk.Advance(time.Nanosecond)
	first := held(t, ctx, r, clk, at.Add(fence))
	second := held(t, ctx, r, clk, at.Add(fence))

	clk.Advance(fence)
	if cur := src.waitCall(t); cur.AccessToken != "old" {
		t.Fatalf("rotated %q; want old", cur.AccessToken)
	}
	close(gate)
	got(t, first, "rot-1")
	got(t, second, "rot-1")
	if tok := mustToken(t, r); tok.AccessToken != "rot-1" {
		t.Errorf("Token() after the rotation = %q; want rot-1", tok.AccessToken)
	}
}

func TestFenceLiftsWhenTheRotationFails(t *testing.T) {
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if n == 1 {
			return nil, errors.New("503 service unavailable")
		}
		return rotating(n, cur)
	})
	onRotate, rotated := rotations()
	clk := newClock()
	store := &tokenrefresh.MemoryStore{}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: fence,
		RetryMin: 30 * time.Second, OnRotate: onRotate}, src)
	at := parked(t, clk)

	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	waiter := held(t, context.Background(), r, clk, at.Add(fence))
	clk.Advance(fence)
	src.waitCall(t)
	// The retry is at least RetryMin/2 = 15 s away, beyond the fence: the
	// old token, still valid, is served meanwhile, without waiting, up to
	// the retry; a fence holds callers once per planned rotation, so an
	// outage of the token server never holds them.
	got(t, waiter, "old")
	now := clk.Now()
	retry := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(now) })
	for _, before := range []time.Duration{retry.Sub(now) / 2, fence, time.Nanosecond} {
		clk.Advance(retry.Add(-before).Sub(clk.Now()))
		if tok := mustToken(t, r); tok.AccessToken != "old" {
			t.Fatalf("Token() %v before the retry = %q; want old", before, tok.AccessToken)
		}
	}
	clk.Advance(time.Nanosecond)
	if tok := waitRotation(t, rotated); tok.AccessToken != "rot-2" {
		t.Fatalf("the retry rotated to %q; want rot-2", tok.AccessToken)
	}
	if tok := mustToken(t, r); tok.AccessToken != "rot-2" {
		t.Errorf("Token() after the retry = %q; want rot-2", tok.AccessToken)
	}
}

// A failed attempt whose retry comes within the fence keeps the callers
// held, but no longer than the fence allows.
func TestFenceHoldsThroughAQuickRetryUntilItsEnd(t *testing.T) {
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		return nil, errors.New("503 service unavailable")
	})
	clk := newClock()
	store := &tokenrefresh.MemoryStore{}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: fence,
		RetryMin: fence / 4, RetryMax: fence / 4}, src)
	at := parked(t, clk)

	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	waiter := held(t, context.Background(), r, clk, at.Add(fence))
	clk.Advance(fence)
	src.waitCall(t)
	now := clk.Now()
	retry := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(now) && d.Before(at.Add(fence)) })
	clk.Advance(retry.Sub(now))
	src.waitCall(t)
	select {
	case res := <-waiter:
		t.Fatalf("Token() = %v, %v while a retry within the fence was due; want it held", res.tok, res.err)
	default:
	}
	clk.Advance(at.Add(fence).Sub(clk.Now()))
	got(t, waiter, "old")
}

func TestFenceEndsAfterFenceEvenIfTheRotationHangs(t *testing.T) {
	gate := make(chan struct{})
	defer close(gate)
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-gate
		return rotating(n, cur)
	})
	r, clk, at := fenced(t, src)

	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	waiter := held(t, context.Background(), r, clk, at.Add(fence))
	clk.Advance(fence)
	src.waitCall(t)
	clk.Advance(fence)
	got(t, waiter, "old")
	if tok := mustToken(t, r); tok.AccessToken != "old" {
		t.Errorf("Token() after the fence = %q; want old, still valid, without waiting", tok.AccessToken)
	}
}

func TestFencedCallerHonoursItsContext(t *testing.T) {
	r, clk, at := fenced(t, newSource(rotating))
	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	ctx, cancel := context.WithCancel(context.Background())
	waiter := held(t, ctx, r, clk, at.Add(fence))
	cancel()
	select {
	case res := <-waiter:
		if !errors.Is(res.err, context.Canceled) {
			t.Errorf("Token() after cancel = %v, %v; want context.Canceled", res.tok, res.err)
		}
	case <-time.After(waitLimit):
		t.Fatal("a cancelled caller kept waiting")
	}
}

func TestCloseEndsTheFence(t *testing.T) {
	r, clk, at := fenced(t, newSource(rotating))
	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	waiter := held(t, context.Background(), r, clk, at.Add(fence))
	r.Close()
	got(t, waiter, "old")
}

// With a fence, every process that shares the stored token plans its
// rotation for the same moment, whatever its random source; without one,
// each draws its own jitter.
func TestFencePlansTheSameMomentInEveryProcess(t *testing.T) {
	next := func(seed uint64, f time.Duration) time.Time {
		clk := newClock()
		store := &tokenrefresh.MemoryStore{}
		store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "shared"}), Obtained: epoch, Lineage: "l"})
		r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: f,
			Jitter: 0.1, Rand: rand.New(rand.NewPCG(seed, seed))}, newSource(rotating))
		defer r.Close()
		return r.Status().NextRefresh
	}
	a, b := next(1, fence), next(2, fence)
	if !a.Equal(b) {
		t.Errorf("with a fence, two processes plan %v and %v; want the same moment", a, b)
	}
	if earliest := epoch.Add(fenceInterval * 9 / 10); a.Before(earliest) || a.After(epoch.Add(fenceInterval)) {
		t.Errorf("planned %v; want within the jitter, [%v, %v]", a, earliest, epoch.Add(fenceInterval))
	}
	if a, b := next(1, 0), next(2, 0); a.Equal(b) {
		t.Errorf("without a fence, two seeds plan the same moment %v; want each its own jitter", a)
	}
}

// A rotation that comes due after its fence has passed (here, a retry
// after the planned attempt failed) is not run at once under a shared
// store's lock: the token is saved again with a moment 2*Fence ahead, so
// that every process sharing the store holds its callers for it.
func TestOverdueRotationIsPlannedWithTheFleet(t *testing.T) {
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if n == 1 {
			return nil, errors.New("503 service unavailable")
		}
		return rotating(n, cur)
	})
	onRotate, rotated := rotations()
	clk := newClock()
	path := filepath.Join(t.TempDir(), "token.json")
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	cfg := tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: fence,
		RetryMin: 30 * time.Second, OnRotate: onRotate}
	r, _ := setup(t, cfg, src)
	at := epoch.Add(fenceInterval)
	awaitTimer(t, clk, "the planned rotation", func(d time.Time) bool { return d.Equal(at) })
	clk.Advance(at.Sub(clk.Now()))
	src.waitCall(t)
	retry := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(at) })

	clk.Advance(retry.Sub(clk.Now()))
	due := retry.Add(2 * fence)
	awaitTimer(t, clk, "the planned moment", func(d time.Time) bool { return d.Equal(due) })
	if n := src.Calls(); n != 1 {
		t.Fatalf("refresh called %d times; want 1: the overdue rotation must wait for its planned moment", n)
	}
	e, err := store.Load(context.Background())
	if err != nil || e.Token.Reveal().AccessToken != "old" || !e.Due.Equal(due) {
		t.Fatalf("store holds %+v, %v; want the old token due at %v", e, err, due)
	}
	// Another process that loads the store plans the same moment.
	other, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store, cfg.OnRotate = other, nil
	r2, _ := setup(t, cfg, newSource(rotating))
	if got := r2.Status().NextRefresh; !got.Equal(due) {
		t.Errorf("a process sharing the store plans %v; want %v", got, due)
	}
	r2.Close()

	clk.Advance(due.Add(-fence - time.Nanosecond).Sub(clk.Now()))
	if tok := mustToken(t, r); tok.AccessToken != "old" {
		t.Fatalf("Token() before the fence = %q; want old", tok.AccessToken)
	}
	clk.Advance(time.Nanosecond)
	waiter := held(t, context.Background(), r, clk, due.Add(fence))
	clk.Advance(fence)
	if tok := waitRotation(t, rotated); tok.AccessToken != "rot-2" {
		t.Fatalf("rotated to %q; want rot-2", tok.AccessToken)
	}
	got(t, waiter, "rot-2")
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().AccessToken != "rot-2" || !e.Due.IsZero() {
		t.Errorf("store holds %+v, %v after the rotation; want rot-2 with no agreed moment", e, err)
	}
}

// A token of unknown age (Initial, or stored without Obtained) is due at
// once, and in a fleet another process may be rotating it already: callers
// wait for the first attempt, however long it takes within its timeout,
// rather than for Fence only.
func TestFenceHoldsAnUnknownAgeTokenUntilTheFirstAttempt(t *testing.T) {
	gate := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-gate
		return rotating(n, cur)
	})
	r, clk := setup(t, tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "pasted"}), Interval: fenceInterval, Fence: fence}, src)
	src.waitCall(t)
	waiter := held(t, context.Background(), r, clk, epoch.Add(tokenrefresh.DefaultAttemptTimeout))
	clk.Advance(3 * fence)
	select {
	case res := <-waiter:
		t.Fatalf("Token() = %v, %v %v into the first rotation; want it to wait for it", res.tok, res.err, 3*fence)
	default:
	}
	close(gate)
	got(t, waiter, "rot-1")
}

// A process that is backing off from a failure, with its own retry long
// after the moment another process planned for the overdue rotation,
// takes up that moment, and holds its callers for it, rather than serve
// the token the other one is about to rotate.
func TestABackingOffProcessHoldsForTheFleetsPlan(t *testing.T) {
	clk := newClock()
	path := filepath.Join(t.TempDir(), "token.json")
	open := func() *tokenrefresh.FileStore {
		s, err := tokenrefresh.NewFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	open().Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	failFirst := func(name string) *source {
		return newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
			if n == 1 {
				return nil, errors.New("503 service unavailable")
			}
			return &oauth2.Token{AccessToken: fmt.Sprintf("%s-%d", name, n)}, nil
		})
	}
	srcA, srcB := failFirst("a"), failFirst("b")
	obs, evs := eventtest.Channel()
	setup(t, tokenrefresh.Config{Clock: clk, Store: open(), Interval: fenceInterval, Fence: fence, RetryMin: 30 * time.Second}, srcA)
	b, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: open(), Interval: fenceInterval, Fence: fence,
		RetryMin: 5 * time.Minute, RetryMax: 5 * time.Minute, Observer: obs}, srcB)
	at := epoch.Add(fenceInterval)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := clk.BlockUntil(ctx, 2); err != nil {
		t.Fatalf("the two loops never parked: %v", err)
	}
	clk.Advance(at.Sub(clk.Now()))
	srcA.waitCall(t)
	srcB.waitCall(t)
	retryA := awaitTimer(t, clk, "A's retry", func(d time.Time) bool { return d.After(at) && d.Before(at.Add(time.Minute)) })
	if ev := eventtest.Wait(t, evs, tokenrefresh.Failed); !ev.Retry.After(at.Add(2 * time.Minute)) {
		t.Fatalf("B's retry planned at %v; want it long after A's", ev.Retry)
	}

	clk.Advance(retryA.Sub(clk.Now()))
	due := retryA.Add(2 * fence)
	if ev := eventtest.Wait(t, evs, tokenrefresh.Adopted); !ev.Retry.Equal(due) {
		t.Fatalf("B adopted the moment %v; want %v, planned by A", ev.Retry, due)
	}
	if got := b.Status().NextRefresh; !got.Equal(due) {
		t.Fatalf("B plans %v; want %v", got, due)
	}
	clk.Advance(due.Add(-fence).Sub(clk.Now()))
	waiter := held(t, context.Background(), b, clk, due.Add(fence))
	clk.Advance(fence)
	select {
	case res := <-waiter:
		e, err := open().Load(context.Background())
		if res.err != nil || err != nil || res.tok.AccessToken == "old" || res.tok.AccessToken != e.Token.Reveal().AccessToken {
			t.Errorf("Token() = %v, %v after the planned rotation; want the rotated token the store holds (%v, %v)", res.tok, res.err, e, err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the held caller never returned")
	}
}

// Callers held by the fence are reported once per planned rotation, with
// the hold's latest end.
func TestFenceReportsHeldOncePerRotation(t *testing.T) {
	gate := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-gate
		return rotating(n, cur)
	})
	clk := newClock()
	store := &tokenrefresh.MemoryStore{}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	obs, evs := eventtest.Channel()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Interval: fenceInterval, Fence: fence, Observer: obs}, src)
	at := epoch.Add(fenceInterval)
	awaitTimer(t, clk, "the planned rotation", func(d time.Time) bool { return d.Equal(at) })
	clk.Advance(at.Add(-fence).Sub(clk.Now()))
	first := held(t, context.Background(), r, clk, at.Add(fence))
	second := held(t, context.Background(), r, clk, at.Add(fence))
	if ev := eventtest.Wait(t, evs, tokenrefresh.Held); !ev.Retry.Equal(at.Add(fence)) {
		t.Errorf("Held event ends at %v; want %v", ev.Retry, at.Add(fence))
	}
	clk.Advance(fence)
	close(gate)
	got(t, first, "rot-1")
	got(t, second, "rot-1")
	eventtest.Wait(t, evs, tokenrefresh.Refreshed)
	for {
		select {
		case ev := <-evs:
			if ev.Kind == tokenrefresh.Held {
				t.Fatalf("a second Held event for one rotation: %+v", ev)
			}
			continue
		default:
		}
		break
	}
}
