package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// ctxStore is a store that honours its context, as a network store does:
// a Save on a done context fails and keeps the old entry.
type ctxStore struct{ tokenrefresh.MemoryStore }

func (s *ctxStore) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.Save(ctx, e)
}

// earlyReturnWindow is how long TestCloseSavesARotationInFlight gives
// Close to return wrongly, before the rotation in flight is answered: it
// checks an absence, which no event can mark. A Close that does not wait
// returns within microseconds; a correct one passes however slow the
// machine, so the window never makes the test pass or fail by timing.
const earlyReturnWindow = 50 * time.Millisecond

// Close while a rotation is in flight (the server has applied it and
// answers a moment later): the answer is awaited, saved on a context
// Close does not cancel, and published; Close returns after.
func TestCloseSavesARotationInFlight(t *testing.T) {
	store := &ctxStore{}
	store.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Lineage: "l"})
	answer := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-answer // the server rotated; its answer is on the way
		return &oauth2.Token{AccessToken: "new"}, nil
	})
	r, _ := setup(t, tokenrefresh.Config{Store: store, Interval: time.Hour}, src) // unknown age: rotated at once
	src.waitCall(t)
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("Close returned while a rotation was in flight, within its grace")
	case <-time.After(earlyReturnWindow): // an absence, which no event marks
	}
	close(answer)
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("Close did not return after the rotation was answered")
	}
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().AccessToken != "new" {
		t.Errorf("store after Close holds %v, %v; want the rotated token", e, err)
	}
	if tok := mustToken(t, r); tok.AccessToken != "new" {
		t.Errorf("Token() after Close = %q; want the rotated token, published", tok.AccessToken)
	}
}

// A call that does not return within CloseGrace has its context
// cancelled, and Close returns.
func TestCloseGraceBoundsARefreshInFlight(t *testing.T) {
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) { return nil, nil })
	cancelled := make(chan error, 1)
	hang := func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		src.refresh(ctx, cur)
		<-ctx.Done()
		cancelled <- ctx.Err()
		return nil, ctx.Err()
	}
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{Refresh: hang, CloseGrace: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	src.waitCall(t)
	r.Close()
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the call's context ended with %v; want Canceled by Close", err)
		}
	default:
		t.Error("Close returned before the call's context was cancelled")
	}
}

// Close cancels at once what has sent nothing: a wait for the store's
// lock held by another process.
func TestCloseEndsAWaitForTheLockAtOnce(t *testing.T) {
	store := newSharedStore()
	store.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Lineage: "l"}) // unknown age: due at once
	unlock, err := store.Lock(context.Background())                                                    // another process holds it
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	src := newSource(rotating)
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{Refresh: src.refresh, Store: lockOnly{store},
		Interval: time.Hour, CloseGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatal("Close waited for the lock")
	}
	if n := src.Calls(); n != 0 {
		t.Errorf("refresh called %d times; want 0", n)
	}
}

// Close racing callers of Token and Invalidate, and a rotation that
// Invalidate started: 20 rounds, 8 callers each. Close returns, every
// caller gets a token or ErrClosed and returns, and the store holds the
// last token published: none is lost.
func TestCloseRacingTokenAndInvalidateLosesNothing(t *testing.T) {
	for round := range 20 {
		store := &ctxStore{}
		var mu sync.Mutex // guards last
		last := ""
		release := make(chan struct{})
		src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
			<-release
			return &oauth2.Token{AccessToken: fmt.Sprintf("rot-%d", n), Expiry: time.Now().Add(time.Hour)}, nil
		})
		r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{Refresh: src.refresh, Store: store,
			Initial:  secret.New(&oauth2.Token{AccessToken: "start", Expiry: time.Now().Add(time.Hour)}),
			OnRotate: func(_, n *oauth2.Token) { mu.Lock(); last = n.AccessToken; mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		errs := make(chan error, 8)
		var callers sync.WaitGroup
		for range 8 {
			callers.Add(1)
			go func() {
				defer callers.Done()
				for i := 0; i < 10_000; i++ { // bounded; stop ends it sooner
					ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
					tok, err := r.Token(ctx)
					cancel()
					switch {
					case errors.Is(err, tokenrefresh.ErrClosed):
						return
					case err != nil:
						errs <- err
						return
					}
					r.Invalidate(tok)
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		src.waitCall(t) // an Invalidate started a rotation
		closed := make(chan struct{})
		go func() {
			r.Close()
			close(closed)
		}()
		close(release) // the rotation's answer arrives, before or after Close began
		select {
		case <-closed:
		case <-time.After(waitLimit):
			t.Fatalf("round %d: Close did not return", round)
		}
		close(stop)
		callers.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: Token() = %v; want a token or ErrClosed", round, err)
		}
		mu.Lock()
		want := last
		mu.Unlock()
		if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().AccessToken != want {
			t.Fatalf("round %d: the store holds %v, %v; want the last token published, %q", round, e, err, want)
		}
	}
}
