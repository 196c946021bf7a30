package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"golang.org/x/oauth2"
)

// c2Config is a C2-like schedule: rotate every 55 minutes, tokens sure to
// live an hour.
func c2Config() tokenrefresh.Config {
	return tokenrefresh.Config{
		Initial:  secret.New(&oauth2.Token{AccessToken: "issued"}),
		Interval: 55 * time.Minute,
		MaxAge:   time.Hour,
		RetryMax: 30 * time.Second,
	}
}

// storedToken returns the token in s, or "" if none can be read.
func storedToken(s *redisstore.Store) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	e, err := s.Load(ctx)
	if err != nil {
		return ""
	}
	return e.Token.Reveal().AccessToken
}

// parkAll waits until n Refreshers sleep on the fake clock.
func parkAll(t *testing.T, clk *fakeclock.Clock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := clk.BlockUntil(ctx, n); err != nil {
		t.Fatalf("%d Refreshers never all parked: %v", n, err)
	}
}

// parkedUnlessLost waits until n Refreshers sleep on the fake clock, and
// reports false; or, first, until lost is closed (a Refresher lost its
// token, and sleeps no more), and reports true.
func parkedUnlessLost(t *testing.T, clk *fakeclock.Clock, n int, lost <-chan struct{}) bool {
	t.Helper()
	select {
	case <-lost:
		return true
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	parked := make(chan error, 1)
	go func() { parked <- clk.BlockUntil(ctx, n) }() // ends with ctx at the latest
	select {
	case <-lost:
		cancel()
		<-parked
		return true
	case err := <-parked:
		if err != nil {
			t.Fatalf("%d Refreshers never all parked, and none lost its token: %v", n, err)
		}
		return false
	}
}

func TestReplicasAdoptThroughPubSub(t *testing.T) {
	addr := redistest.Shared(t)
	key := redistest.Key(t, addr)
	c := &chain{live: "issued"}
	clk := fakeclock.New(epoch)
	a := startReplica(t, c, mustStore(t, newClient(t, addr), key), clk, c2Config())
	a.waitToken(t, "rot-1")
	b := startReplica(t, c, mustStore(t, newClient(t, addr), key), clk, c2Config())
	// b need not have subscribed yet: a subscription that comes late
	// reloads the store at once, and so still learns through Redis.
	b.status(t, "b loaded the stored token", func(s tokenrefresh.Status) bool { return s.Healthy })

	a.r.Invalidate(&oauth2.Token{AccessToken: "rot-1"}) // a rotates now, off schedule
	a.waitToken(t, "rot-2")
	start := time.Now()
	b.waitRotation(t, "rot-2") // no 401, no schedule: told through Redis
	t.Logf("b adopted the rotated token %v after a published it", time.Since(start).Round(time.Microsecond))
	if n := b.Calls(); n != 0 {
		t.Errorf("b called the token server %d times; want 0", n)
	}
}

func TestFleetOverRedisRotatesOncePerInterval(t *testing.T) {
	addr := redistest.Shared(t)
	key := redistest.Key(t, addr)
	c := &chain{live: "issued"}
	clk := fakeclock.New(epoch)
	const size, intervals = 5, 10
	var fleet []*replica
	for range size {
		fleet = append(fleet, startReplica(t, c, mustStore(t, newClient(t, addr), key), clk, c2Config()))
	}
	for i := 1; i <= intervals; i++ {
		want := fmt.Sprintf("rot-%d", i)
		for _, rp := range fleet {
			rp.waitToken(t, want)
		}
		if _, n := c.state(); n != i {
			t.Fatalf("interval %d: the fleet rotated %d times; want %d", i, n, i)
		}
		if i < intervals {
			parkAll(t, clk, size)
			clk.Advance(55 * time.Minute)
		}
	}
	calls := 0
	for _, rp := range fleet {
		calls += rp.Calls()
		rp.status(t, "healthy", func(s tokenrefresh.Status) bool { return s.Healthy })
	}
	if live, n := c.state(); calls != n || live != fmt.Sprintf("rot-%d", intervals) {
		t.Errorf("%d calls of the token server, %d rotations, live %q; want one call per rotation, %d rotations",
			calls, n, live, intervals)
	}
}

func TestRedisRestartsLoseNothing(t *testing.T) {
	srv := redistest.Private(t)
	c := &chain{live: "issued"}
	clk := fakeclock.New(epoch)
	const key = "bearer-test:restart"
	probe := mustStore(t, newClient(t, srv.Addr), key)
	a := startReplica(t, c, mustStore(t, newClient(t, srv.Addr), key), clk, c2Config())
	a.waitToken(t, "rot-1")
	b := startReplica(t, c, mustStore(t, newClient(t, srv.Addr), key), clk, c2Config())
	fleet := []*replica{a, b}
	for _, rp := range fleet {
		rp.status(t, "healthy", func(s tokenrefresh.Status) bool { return s.Healthy })
	}

	// A short outage: Redis comes back empty, and the fleet writes the
	// current token back.
	srv.Kill() // as a crash would
	for _, rp := range fleet {
		rp.status(t, "the outage is seen", func(s tokenrefresh.Status) bool { return s.StoreUnavailable && s.Valid })
	}
	srv.Start()
	awaitStored(t, probe, "rot-1") // written back by the fleet
	for _, rp := range fleet {
		rp.status(t, "healthy again", func(s tokenrefresh.Status) bool { return s.Healthy })
	}

	// A long outage: nobody rotates without the lock until the token is
	// about to die (58 minutes in); then a replica does, and saves the
	// token once Redis is back.
	srv.Kill() // as a crash would
	for _, rp := range fleet {
		rp.status(t, "the outage is seen", func(s tokenrefresh.Status) bool { return s.StoreUnavailable })
	}
	lastResort := epoch.Add(58 * time.Minute)
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("no last-resort rotation after 200 attempts")
		}
		if _, n := c.state(); n == 2 {
			break
		}
		parkAll(t, clk, len(fleet))
		next, _ := clk.NextDeadline()
		if !next.Before(epoch.Add(time.Hour)) {
			t.Fatalf("next attempt at %v: after the token died", next.Sub(epoch))
		}
		if _, n := c.state(); next.Before(lastResort) && n != 1 {
			t.Fatalf("rotated without the lock at %v, before the last resort", next.Sub(epoch))
		}
		clk.Advance(next.Sub(clk.Now()))
	}
	winner, loser := a, b
	if b.Calls() > 0 && b.current(t) == "rot-2" {
		winner, loser = b, a
	}
	winner.waitToken(t, "rot-2")
	winner.status(t, "rot-2 waits to be saved", func(s tokenrefresh.Status) bool { return s.Unsaved })
	// The other replica, about to lose its token too, rotates it as well:
	// the server refuses the dead token, and it fails permanently.
	for i := 0; !parkedUnlessLost(t, clk, len(fleet), loser.r.Lost()); i++ {
		if i > 200 {
			t.Fatal("the other replica never tried its last resort")
		}
		next, _ := clk.NextDeadline()
		clk.Advance(next.Sub(clk.Now()))
	}
	if st := loser.r.Status(); !st.Permanent {
		t.Fatalf("the other replica lost its token but its status is %+v; want Permanent", st)
	}

	srv.Start()
	awaitStored(t, probe, "rot-2") // saved by the winner, now that Redis is back
	loser.waitToken(t, "rot-2")
	for _, rp := range fleet {
		rp.status(t, "healthy after the outage", func(s tokenrefresh.Status) bool { return s.Healthy })
	}
	if live, n := c.state(); live != "rot-2" || n != 2 {
		t.Errorf("the token server's live token is %q after %d rotations; want rot-2 after 2", live, n)
	}
}
