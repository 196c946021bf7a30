package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore/internal/redisclient"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// waitLimit bounds every wait on a goroutine or a process, so a broken
// test fails instead of hanging; passing tests never come near it.
// Redis's reconnection backoff is at most 5 s, hence the margin.
const waitLimit = 20 * time.Second

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// newClient returns a client for addr that fails fast when Redis is down
// (no retries, short dial timeout), closed at the end of the test.
func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redisclient.New(addr)
	t.Cleanup(func() { c.Close() })
	return c
}

func mustStore(t *testing.T, c redis.UniversalClient, key string, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// chain is a token server whose rotation kills the old token, as Charon
// does: rotating any token but the live one is a permanent failure.
type chain struct {
	mu   sync.Mutex // guards live, n
	live string
	n    int
}

func (c *chain) rotate(_ context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur == nil || cur.AccessToken != c.live {
		return nil, tokenrefresh.Permanent(errors.New("401: token is not active; issue a new one"))
	}
	c.n++
	c.live = "rot-" + strconv.Itoa(c.n)
	return &oauth2.Token{AccessToken: c.live}, nil
}

func (c *chain) state() (live string, rotations int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live, c.n
}

// replica is one Refresher of a fleet, counting its calls of the chain.
type replica struct {
	r       *tokenrefresh.Refresher
	mu      sync.Mutex // guards calls
	calls   int
	rotated chan string
	events  chan tokenrefresh.Event // the Refresher's Observer's
}

// startReplica starts a Refresher on the chain with store and clk,
// closed at the end of the test.
func startReplica(t *testing.T, c *chain, store tokenrefresh.Store, clk *fakeclock.Clock, cfg tokenrefresh.Config) *replica {
	t.Helper()
	obs, events := eventtest.Channel()
	rp := &replica{rotated: make(chan string, 1000), events: events}
	cfg.Refresh = func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		rp.mu.Lock()
		rp.calls++
		rp.mu.Unlock()
		return c.rotate(ctx, cur)
	}
	cfg.OnRotate = func(_, n *oauth2.Token) { rp.rotated <- n.AccessToken }
	cfg.Clock, cfg.Store, cfg.Jitter, cfg.Observer = clk, store, -1, obs
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	r, err := tokenrefresh.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	rp.r = r
	return rp
}

func (rp *replica) Calls() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.calls
}

// current returns the token the replica serves.
func (rp *replica) current(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := rp.r.Token(ctx)
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	return tok.AccessToken
}

// waitRotation waits until the replica publishes want.
func (rp *replica) waitRotation(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case got := <-rp.rotated:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("the replica never published %q", want)
		}
	}
}

// waitToken waits until the replica serves want.
func (rp *replica) waitToken(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for rp.current(t) != want {
		select {
		case <-rp.rotated:
		case <-deadline:
			t.Fatalf("the replica never served %q; it serves %q", want, rp.current(t))
		}
	}
}

// awaitStored waits until s holds want, reading it again each time the
// store's own Watch reports a save (Save publishes one) or a
// (re)subscription: the event of a write that another client makes, which
// no Refresher event marks (a write-back after Redis restarted empty).
func awaitStored(t *testing.T, s *redisstore.Store, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	noted := make(chan struct{}, 1)
	watched := make(chan struct{})
	go func() { // ends with ctx, cancelled below
		defer close(watched)
		s.Watch(ctx, func(error) {
			select {
			case noted <- struct{}{}:
			default: // one pending note is enough: every note means "read again"
			}
		})
	}()
	defer func() {
		cancel()
		<-watched
	}()
	for got := storedToken(s); got != want; got = storedToken(s) {
		select {
		case <-noted:
		case <-ctx.Done():
			t.Fatalf("Redis never held %q; it holds %q", want, got)
		}
	}
}

// status waits until the replica's status satisfies cond, reading it
// again after each of the replica's events, and returns it.
func (rp *replica) status(t *testing.T, what string, cond func(tokenrefresh.Status) bool) tokenrefresh.Status {
	t.Helper()
	var st tokenrefresh.Status
	eventtest.Until(t, rp.events, what, func() bool {
		st = rp.r.Status()
		return cond(st)
	})
	return st
}
