package fleettest

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// Shape of the scenarios. The interval is the shortest a c2 client
// schedules as asked: below a second and a ninth, the Refresher's floor of
// one second between rotations would override the jitter. Ten intervals
// of 1.2 s keep each steady scenario near a quarter of a minute.
const (
	fleetSize       = 20
	interval        = 1200 * time.Millisecond
	steadyIntervals = 10
)

// Fence is the c2.WithFence of the fenced scenarios, just below half the
// interval, the most it may be. A member's request sent just before the
// fence has that long to reach the fake, and a member has as long after
// the planned rotation to adopt the new token. Forty race-instrumented
// processes on two busy cores needed more than the 300 ms tried first:
// with it, a few members of the file fleet still had the old token when
// their fence ended, 270 to 310 ms after the rotation. In production a
// fence of a second or two is a small cost once in 55 minutes.
const Fence = 500 * time.Millisecond

// Shape of the store restart: rotations before the outage (the immediate
// one included), how long the store stays down, and rotations after it.
const (
	restartBefore = 4
	outage        = 2 * interval
	restartAfter  = 4
)

// Scenario skips t where a fleet cannot run, and lets the scenarios run
// side by side, as many at once as go test's -parallel allows (by default
// one per CPU): most of the Redis lock-holder scenario is spent waiting
// for the dead holder's lock to expire. Call it first in every scenario
// test.
func Scenario(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("needs flock, SIGTERM and SIGKILL")
	}
	t.Parallel()
}

// Steady runs the scenario named name: twenty processes share one lineage
// through the store spec names, with the given fence (zero: none), for
// ten intervals. Every member starts from the same freshly issued token,
// whose age is unknown, so it is due at once: the first member to take
// the lock rotates it, and each of the others, taking the lock in turn,
// finds the stored successor not yet due and adopts it. So the fleet
// rotates exactly 1 + 10 times: once at the start, then once per
// interval, each time between 0.9 and 1 interval after the last (the
// jitter brings it forward; with twenty members the earliest of them sets
// the pace).
//
// No request fails. Without a fence, the fake still answers some
// requests 401: a rotation kills the old token at once, and a member that
// uses it before it learns of the rotation (from its own schedule, the
// store's notification, or that 401) meets one 401, adopts the stored
// successor and replays the request. So 401s on the wire are counted,
// bounded (one per member per rotation at most) and must all be accounted
// for by the members. With a fence (c2.WithFence), every member plans
// the rotation for the same moment, holds its requests from the fence
// until it has the new token, and the fake answers no request 401.
func Steady(t *testing.T, name, spec string, fence time.Duration) {
	t.Helper()
	f := newFleet(t, interval, spec)
	f.fence = fence
	f.start(fleetSize)
	f.awaitRotations(1+steadyIntervals, maxGap(interval))
	f.freeze()
	converge := f.converged()
	r := f.checkEnd(name, f.stop(), true)
	if want := 1 + steadyIntervals; r.rotations != want {
		t.Errorf("the fleet rotated %d times; want exactly %d: once at the start, then once per interval", r.rotations, want)
	}
	f.checkGaps(&r, nil)
	r.converge = converge
	r.note = noteLine(fmt.Sprintf("interval %v", interval), "401s are the members' first use of a token just rotated away; each was replayed with the stored successor")
	if f.fence > 0 {
		r.note = noteLine(fmt.Sprintf("interval %v, fence %v", interval, f.fence), "the slowest request includes the hold for a rotation")
	}
	logTable(t, r)
}

// A Server is a store's server that a scenario stops and starts again,
// such as a redistest.Server.
type Server interface {
	// Stop shuts the server down and waits until it is gone.
	Stop()
	// Start runs it again, empty, and waits until it answers.
	Start()
}

// SurviveRestart runs the scenario named name: twenty fenced processes
// share one lineage through the store spec names, whose server srv is
// shut down for two intervals in the middle and comes back empty (it
// persists nothing). While it is down nobody rotates, since the token is
// far from dying; when it is back the members write the current token
// back, and the first to take the lock finds the rotation overdue and
// plans it 2*fence ahead in the store, so every member holds its requests
// for it: nothing lost, and no 401.
func SurviveRestart(t *testing.T, name, spec string, srv Server) {
	t.Helper()
	f := newFleet(t, interval, spec)
	f.fence = Fence
	f.start(fleetSize)
	f.awaitRotations(restartBefore, maxGap(interval))
	f.awaitConverged()
	before := f.rot.count()

	srv.Stop()
	stopped := time.Now()
	sawDown := f.await("every member sees the store gone", waitLimit, func() bool {
		return f.all(func(c *child) bool { return c.down })
	})
	f.hold(outage - time.Since(stopped))
	if n := f.rot.count(); n != before {
		t.Errorf("the fleet rotated %d times while the store was down; want 0: the token was far from dying", n-before)
	}
	restarted := time.Now()
	srv.Start()
	sawUp := f.await("every member sees the store back", waitLimit, func() bool {
		return f.all(func(c *child) bool { return !c.down })
	})
	f.awaitRotations(before+1, waitLimit)
	resumed := f.rot.at()[before].Sub(restarted)
	f.awaitRotations(before+restartAfter, maxGap(interval))
	f.freeze()
	converge := f.converged()
	ended := f.stop()

	r := f.checkEnd(name, ended, true)
	for _, c := range ended {
		if c.report.Outages == 0 {
			t.Errorf("child %d: Status never showed the store unavailable", c.i)
		}
	}
	f.checkGaps(&r, func(i int) bool { return i == before }) // the gap across the outage
	r.converge = converge
	r.note = noteLine(fmt.Sprintf("interval %v, fence %v", interval, f.fence),
		fmt.Sprintf("store down %v (all saw it in %v), 0 rotations while down", outage, sawDown.Round(time.Millisecond)),
		fmt.Sprintf("all saw it back %v after it answered; next rotation %v after its server was started again", sawUp.Round(time.Millisecond), resumed.Round(time.Millisecond)))
	logTable(t, r)
}
