package locktest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ExcludesGoroutines runs one goroutine for each of lockers (the same
// lock may stand several times, and other handles on it too), each
// taking its lock rounds times, and fails t if two of them ever hold it
// at once or a Lock or an unlock fails. Every Lock must succeed within
// limit.
func ExcludesGoroutines(t testing.TB, lockers []Locker, rounds int, limit time.Duration) {
	t.Helper()
	var holders atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for _, l := range lockers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			for range rounds {
				unlock, err := l.Lock(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if holders.Add(1) > 1 {
					overlap.Store(true)
				}
				runtime.Gosched()
				holders.Add(-1)
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Error("two goroutines held the lock at once")
	}
}

// WaitHonoursContext takes l, then fails t unless a second Lock, waiting
// for it, returns [context.Canceled] once its context is cancelled, within
// limit. l is released at the end.
func WaitHonoursContext(t testing.TB, l Locker, limit time.Duration) {
	t.Helper()
	unlock, err := l.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := l.Lock(ctx)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lock() cancelled while waiting = %v; want context.Canceled", err)
		}
	case <-time.After(limit):
		t.Fatal("Lock() did not return after its context was cancelled")
	}
}
