// Package markertest holds the scenarios of the rotation-in-flight marker
// ([tokenrefresh.Entry].Rotating) that every shared store keeping its
// data across an outage must pass, against a token endpoint with refresh
// token reuse detection ([closetest.RotatingServer], RFC 9700 4.14.2):
// presenting a rotated-away refresh token revokes the whole grant.
//
// Two processes, A and B, share the store through handles of their own,
// each Refresher on a clock of its own, so that the test decides which
// process acts when. The store goes away (every call of either handle
// fails, the data stays, as with a Redis that is unreachable or restarts
// with persistence) right after the server applied A's rotation and
// before A saved it. [UnsavedRotationKeepsTheGrant]: the store comes
// back and B's attempt comes first; B must leave the marked token to A,
// and adopt A's token once A has saved it. [DeadHolderIsWaitedForBounded]:
// A dies before its call and before it could clear its marker; B
// rotates once the grace is over, and no sooner. (A's Refresher runs in
// the test's process, which lives on: B cannot know A dead, as it does a
// holder on its host whose process has exited, and waits the grace.)
//
// tokenrefresh runs them with two FileStores on one file; redisstore
// runs them with two clients of one Redis.
package markertest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/closetest"
	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// A NewStores returns two handles, as two processes would open them, of
// one new, empty shared store.
type NewStores func(t *testing.T) (a, b tokenrefresh.Locker)

// epoch is where both processes' clocks start.
var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// waitLimit bounds every wait, so that a broken test fails rather than
// hang; passing tests never come near it.
const waitLimit = 10 * time.Second

// saveRetries is how often A's save fails during the long outage: its
// backoff (doubling from RetryMin, a second) would pass an attempt
// timeout after six.
const saveRetries = 8

// errDown is what a handle answers while the store is away.
var errDown = errors.New("store is unreachable: connection refused")

// outage is the switch both handles share: while it is on, every call of
// either fails, and what the store holds stays.
type outage struct{ down atomic.Bool }

// handle is one process's handle of the shared store, cut off by the
// outage. It is a Locker and not a Watcher: each process retries on its
// own clock, which the test advances.
type handle struct {
	tokenrefresh.Locker
	out *outage
}

func (h handle) Load(ctx context.Context) (*tokenrefresh.Entry, error) {
	if h.out.down.Load() {
		return nil, errDown
	}
	return h.Locker.Load(ctx)
}

func (h handle) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	if h.out.down.Load() {
		return errDown
	}
	return h.Locker.Save(ctx, e)
}

func (h handle) Lock(ctx context.Context) (func() error, error) {
	if h.out.down.Load() {
		return nil, errDown
	}
	return h.Locker.Lock(ctx)
}

// process is one Refresher of the pair, on a clock of its own.
type process struct {
	r      *tokenrefresh.Refresher
	clk    *fakeclock.Clock
	events chan tokenrefresh.Event
	calls  atomic.Int32 // calls of the RefreshFunc
}

// start starts a Refresher on store that refreshes through the server
// with refresh, after which it calls after (if not nil), and closes it
// at the end of the test.
func start(t *testing.T, store tokenrefresh.Store, initial *oauth2.Token, refresh tokenrefresh.RefreshFunc, after func(error)) *process {
	t.Helper()
	obs, events := eventtest.Channel()
	p := &process{clk: fakeclock.New(epoch), events: events}
	cfg := tokenrefresh.Config{Initial: secret.New(initial), Store: store, Clock: p.clk, Observer: obs, Jitter: -1,
		Refresh: func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
			p.calls.Add(1)
			tok, err := refresh(ctx, cur)
			if after != nil {
				after(err)
			}
			return tok, err
		}}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	r, err := tokenrefresh.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	p.r = r
	return p
}

// advanceToTimer waits until p's loop has a timer due after its clock's
// present, advances the clock to it, and returns it.
func (p *process) advanceToTimer(t *testing.T, what string) time.Time {
	t.Helper()
	at := p.awaitTimer(t, what)
	p.clk.Advance(at.Sub(p.clk.Now()))
	return at
}

// awaitTimer waits until p's loop has a timer due after its clock's
// present, and returns it.
func (p *process) awaitTimer(t *testing.T, what string) time.Time {
	t.Helper()
	now := p.clk.Now()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	at, err := p.clk.AwaitTimer(ctx, func(d time.Time) bool { return d.After(now) })
	if err != nil {
		t.Fatalf("no timer for %s (its status: %+v): %v", what, p.r.Status(), err)
	}
	return at
}

// token returns the token p serves.
func (p *process) token(t *testing.T) *oauth2.Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := p.r.Token(ctx)
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	return tok
}

// pair is the server and the two processes' handles of one store.
type pair struct {
	srv     *closetest.RotatingServer
	out     *outage
	a, b    handle
	probe   tokenrefresh.Store // reads the store, outage or not
	initial *oauth2.Token
	refresh tokenrefresh.RefreshFunc // the oauth package's refresh_token grant
}

// newPair starts the server with a new grant, and opens the store twice.
// The server's access tokens (JWTs, whose exp the client believes) expire
// two hours after epoch, by the processes' clocks, which run behind the
// real one.
func newPair(t *testing.T, newStores NewStores) *pair {
	t.Helper()
	p := &pair{srv: closetest.NewRotatingServer(t), out: &outage{}}
	p.srv.AccessLife = func(int) time.Duration { return time.Until(epoch.Add(2 * time.Hour)) }
	a, b := newStores(t)
	p.a, p.b, p.probe = handle{a, p.out}, handle{b, p.out}, a
	rt := p.srv.Grant()
	p.initial = &oauth2.Token{AccessToken: "issued-access-token", TokenType: "Bearer", RefreshToken: rt, Expiry: epoch.Add(time.Hour)}
	src, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: p.srv.URL, RefreshToken: secret.New(rt)})
	if err != nil {
		t.Fatal(err)
	}
	p.refresh = src.Refresh
	return p
}

// stored returns what the store holds.
func (p *pair) stored(t *testing.T) *tokenrefresh.Entry {
	t.Helper()
	e, err := p.probe.Load(context.Background())
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	return e
}

// waitIsBounded checks that B's wait for A's marker, from due to until,
// ends while the token B serves meanwhile is still alive.
func (p *pair) waitIsBounded(t *testing.T, due, until time.Time) {
	t.Helper()
	if !until.After(due) || !until.Before(p.initial.Expiry) {
		t.Fatalf("B waits for A's marker from %v to %v; want a wait that ends before the token it serves expires at %v",
			due.Sub(epoch), until.Sub(epoch), p.initial.Expiry.Sub(epoch))
	}
	t.Logf("B leaves the marked token to A for %v", until.Sub(due))
}

// UnsavedRotationKeepsTheGrant: the server applies A's rotation, and the
// store goes away before A saves the result. The store comes back, and
// B's attempt comes before A's save: B must not present the refresh token
// A rotated away (the server would revoke the grant, A's new token with
// it), but wait for A's save and adopt A's token.
func UnsavedRotationKeepsTheGrant(t *testing.T, newStores NewStores) {
	p := newPair(t, newStores)
	var applied atomic.Bool
	a := start(t, p.a, p.initial, p.refresh, func(err error) {
		if err == nil && !applied.Swap(true) {
			p.out.down.Store(true) // right after the server applied it
		}
	})
	b := start(t, p.b, p.initial, p.refresh, nil)

	a.advanceToTimer(t, "A's rotation")
	eventtest.Wait(t, a.events, tokenrefresh.StoreUnavailable)
	rotated := a.token(t)
	if e := p.stored(t); e.Rotating == "" || e.Token.Reveal().RefreshToken != p.initial.RefreshToken {
		t.Fatalf("the store holds %+v during the outage; want the issued token with A's marker", e)
	}

	// A long outage: A's save fails again and again, and its next try
	// stays within an attempt timeout, so that it comes within B's grace.
	for range saveRetries {
		a.advanceToTimer(t, "A's save retry during the outage")
	}
	if next := a.awaitTimer(t, "A's next save retry"); next.Sub(a.clk.Now()) > tokenrefresh.DefaultAttemptTimeout {
		t.Fatalf("A tries its save again %v after its last try; want an attempt timeout at most", next.Sub(a.clk.Now()))
	}

	p.out.down.Store(false)
	due := b.advanceToTimer(t, "B's rotation")
	until := b.awaitTimer(t, "B's wait for A's save")
	if n := b.calls.Load(); n != 0 || !p.srv.Alive(rotated.RefreshToken) {
		t.Fatalf("B presented the refresh token A rotated away (%d calls; A's token alive: %v): the grant is revoked",
			n, p.srv.Alive(rotated.RefreshToken))
	}
	p.waitIsBounded(t, due, until)

	a.advanceToTimer(t, "A's save retry")
	eventtest.Wait(t, a.events, tokenrefresh.StoreRecovered)
	if e := p.stored(t); e.Rotating != "" || e.Token.Reveal().RefreshToken != rotated.RefreshToken {
		t.Fatalf("after A's save the store holds %+v; want A's token without a marker", e)
	}
	b.clk.Advance(until.Sub(b.clk.Now()))
	eventtest.Wait(t, b.events, tokenrefresh.Adopted)
	lost := 0
	if got := b.token(t); got.RefreshToken != rotated.RefreshToken || !p.srv.Alive(rotated.RefreshToken) || b.calls.Load() != 0 {
		lost++
		t.Errorf("B serves a token with another refresh token than A's (%v), A's alive: %v, B's calls: %d; want A's, alive, none",
			got.RefreshToken != rotated.RefreshToken, p.srv.Alive(rotated.RefreshToken), b.calls.Load())
	}
	t.Logf("%d lineages lost", lost)
}

// DeadHolderIsWaitedForBounded: A marks the token, loses the store and
// the token server before its request leaves, and dies with its marker in
// the store. B leaves the token to A for the grace, then rotates it: the
// server never saw it presented, and the grant lives on.
func DeadHolderIsWaitedForBounded(t *testing.T, newStores NewStores) {
	p := newPair(t, newStores)
	a := start(t, p.a, p.initial, func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		p.out.down.Store(true)
		return nil, errors.New("dial tcp 127.0.0.1:443: connect: network is unreachable")
	}, nil)
	b := start(t, p.b, p.initial, p.refresh, nil)

	a.advanceToTimer(t, "A's rotation")
	eventtest.Wait(t, a.events, tokenrefresh.Failed)
	a.r.Close()
	if e := p.stored(t); e.Rotating == "" {
		t.Fatalf("the store holds %+v after A died; want A's marker", e)
	}

	p.out.down.Store(false)
	due := b.advanceToTimer(t, "B's rotation")
	until := b.awaitTimer(t, "B's wait for A")
	if n := b.calls.Load(); n != 0 {
		t.Fatalf("B rotated the token A marked at once (%d calls); want it to wait for A first", n)
	}
	p.waitIsBounded(t, due, until)
	b.clk.Advance(until.Sub(due))
	eventtest.Wait(t, b.events, tokenrefresh.Refreshed)
	got := b.token(t)
	if b.calls.Load() != 1 || !p.srv.Alive(got.RefreshToken) {
		t.Errorf("after the grace B called the server %d times and serves a live token: %v; want once, alive", b.calls.Load(), p.srv.Alive(got.RefreshToken))
	}
	if e := p.stored(t); e.Rotating != "" || e.Token.Reveal().RefreshToken != got.RefreshToken {
		t.Errorf("the store holds %+v; want B's token without a marker", e)
	}
}
