package tokenrefresh_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// gatedStore is a shared store (a Locker, without Watch) whose Save, once
// armed, reports that it has started and waits to be released: a test
// lands calls in the middle of a save.
type gatedStore struct {
	*sharedStore
	mu      sync.Mutex    // guards armed
	armed   bool          // the next Save is gated
	saving  chan struct{} // receives when a gated Save starts
	release chan struct{} // closed to let it finish
}

func newGatedStore() *gatedStore {
	return &gatedStore{sharedStore: newSharedStore(), saving: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *gatedStore) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gatedStore) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	g.mu.Lock()
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if armed {
		g.saving <- struct{}{}
		<-g.release
	}
	return g.sharedStore.Save(ctx, e)
}

// waitSaving waits until a gated Save has started.
func (g *gatedStore) waitSaving(t *testing.T) {
	t.Helper()
	select {
	case <-g.saving:
	case <-time.After(waitLimit):
		t.Fatal("the store was never asked to save")
	}
}

// The published state changes only by compare-and-swap from the state its
// writer read. Here the loop plans an overdue rotation with the fleet,
// which saves the token again with its new moment; the server rejects the
// token during that save. The rejection must stand: Token never serves
// the rejected token again.
func TestInvalidateDuringASharedSaveIsNotUndone(t *testing.T) {
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if n == 1 {
			return nil, errors.New("503 service unavailable")
		}
		return rotating(n, cur)
	})
	clk := newClock()
	store := newGatedStore()
	store.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "old"}), Obtained: epoch, Lineage: "l"})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: lockOnly{store}, Interval: fenceInterval, Fence: fence,
		RetryMin: 30 * time.Second}, src)
	at := epoch.Add(fenceInterval)
	awaitTimer(t, clk, "the planned rotation", func(d time.Time) bool { return d.Equal(at) })
	clk.Advance(at.Sub(clk.Now()))
	src.waitCall(t) // the planned attempt fails: the retry comes after the fence
	retry := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(at) })

	store.arm()
	clk.Advance(retry.Sub(clk.Now())) // overdue: planned again with the fleet, by a save
	store.waitSaving(t)
	r.Invalidate(&oauth2.Token{AccessToken: "old"})
	close(store.release)

	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := r.Token(ctx)
	if err == nil && tok.AccessToken == "old" {
		t.Fatalf("Token() after the server rejected %q during a save = %q; want a new token", "old", tok.AccessToken)
	}
	if err != nil {
		t.Fatalf("Token() = %v; want the token that replaced the rejected one", err)
	}
}
