package redisstore_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// silentRedis is a TCP listener on loopback that takes connections, reads
// whatever is sent, and never answers: a Redis that hangs (stopped with
// SIGSTOP, or behind a dead proxy) as a client sees it.
func silentRedis(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex // guards conns
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(io.Discard, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// hungClients are the clients of the matrix, each with
// ContextTimeoutEnabled (New refuses a client without it): one with
// go-redis's other defaults, one whose timeouts are an hour, and one with
// none (-1), as a program that shares its client with blocking commands
// (BLPOP) may. In the last two only the store's bounds can end a wait: a
// wait beyond them outlasts the test's bound.
var hungClients = []struct {
	name string
	opts redis.Options
}{
	{"default timeouts", redis.Options{MaxRetries: -1, ContextTimeoutEnabled: true}},
	{"read timeout an hour", redis.Options{MaxRetries: -1, ReadTimeout: time.Hour, WriteTimeout: time.Hour, ContextTimeoutEnabled: true}},
	{"no read timeout", redis.Options{MaxRetries: -1, ReadTimeout: -1, WriteTimeout: -1, ContextTimeoutEnabled: true}},
}

// Against a Redis that takes connections and never answers, New fails
// once its context ends, saying to check Redis; it does not wait for the
// client's own read timeout.
func TestHungRedisHoldsNewNoLongerThanItsContext(t *testing.T) {
	for _, hc := range hungClients {
		t.Run(hc.name, func(t *testing.T) {
			opts := hc.opts
			opts.Addr = silentRedis(t)
			c := redis.NewClient(&opts)
			t.Cleanup(func() { c.Close() })
			store := mustStore(t, c, "bearer:test:hung")

			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				r, err := tokenrefresh.New(ctx, tokenrefresh.Config{Refresh: (&chain{}).rotate, Store: store, Interval: time.Hour})
				if err == nil {
					r.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "check that Redis is reachable") {
					t.Fatalf("New() on a Redis that never answers = %v; want a failed load that says to check Redis", err)
				}
			case <-time.After(waitLimit):
				t.Fatalf("New() on a Redis that never answers has not returned within %v; its context ended after 100 ms", waitLimit)
			}
		})
	}
}

// Against a Redis that takes connections and never answers, Lock fails
// once its context ends, saying to check Redis, not that another replica
// holds the lock.
func TestHungRedisLockSaysToCheckRedis(t *testing.T) {
	opts := hungClients[0].opts
	opts.Addr = silentRedis(t)
	c := redis.NewClient(&opts)
	t.Cleanup(func() { c.Close() })
	store := mustStore(t, c, "bearer:test:hung-lock")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	unlock, err := store.Lock(ctx)
	if err == nil {
		unlock()
		t.Fatal("Lock() on a Redis that never answers succeeded")
	}
	if !strings.Contains(err.Error(), "check that Redis is reachable") || strings.Contains(err.Error(), "another replica") {
		t.Errorf("Lock() on a Redis that never answers = %v; want an error that says to check Redis", err)
	}
}

// signalledStore is a Redis store that reports each call of Lock on
// locking before it sends anything.
type signalledStore struct {
	*redisstore.Store
	locking chan struct{}
}

func (s signalledStore) Lock(ctx context.Context) (func() error, error) {
	s.locking <- struct{}{}
	return s.Store.Lock(ctx)
}

// A real redis-server stopped with SIGSTOP while a replica's rotation is
// due: callers keep getting the still valid token at once, and Close
// returns though the lock's SETNX has no answer and the attempt's
// deadline is an hour away. go-redis ends a command at its context's
// deadline but not when it is cancelled: before each command had a
// deadline of its own, Close waited for the attempt's.
func TestFrozenRedisHoldsNoCallerNorClose(t *testing.T) {
	for _, hc := range hungClients[1:] {
		t.Run(hc.name, func(t *testing.T) {
			srv := redistest.Private(t)
			opts := hc.opts
			opts.Addr = srv.Addr
			c := redis.NewClient(&opts)
			t.Cleanup(func() { c.Close() })
			store := signalledStore{mustStore(t, c, "bearer:test:frozen"), make(chan struct{}, 100)}
			clk := fakeclock.New(epoch)
			obs, evs := eventtest.Channel()
			r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{
				Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
					return &oauth2.Token{AccessToken: "tok", Expiry: clk.Now().Add(time.Hour)}, nil
				},
				Store: store, Clock: clk, Observer: obs, Jitter: -1,
				AttemptTimeout: time.Hour, CloseGrace: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			eventtest.Wait(t, evs, tokenrefresh.Refreshed) // no token in the store: the first one
			await(t, store.locking)

			srv.Freeze()
			clk.Advance(59 * time.Minute) // due, still valid
			await(t, store.locking)       // the loop sends SETNX to the frozen Redis
			for range 100 {
				if tok, err := r.Token(cancelledCtx()); err != nil || tok.AccessToken != "tok" {
					t.Fatalf("Token() with Redis frozen and the token valid = %v, %v; want it at once", tok, err)
				}
			}
			closed := make(chan struct{})
			go func() {
				r.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-time.After(waitLimit):
				srv.Thaw()
				t.Fatalf("Close() with Redis frozen during the lock has not returned within %v", waitLimit)
			}
		})
	}
}

// await waits for a value on ch, failing t after waitLimit.
func await(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("not within %v", waitLimit)
	}
}

// cancelledCtx is a context already done: Token returns it as its error
// if it would wait at all.
func cancelledCtx() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
