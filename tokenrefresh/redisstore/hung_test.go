package redisstore_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/redis/go-redis/v9"
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
// go-redis's other defaults, one whose read timeout is an hour, and one
// that sets none, as a program that shares its client with blocking
// commands (BLPOP) may. In the last two only the context can end a wait:
// a wait beyond it outlasts the test's bound.
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
