package fleettest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// rotatePattern is the fake's route of a Charon rotation, as its Stats
// count requests.
const rotatePattern = "PUT " + c2test.TokensPathPrefix + "{token}"

// clockSlop allows for the difference between the children's wall clocks,
// which schedule rotations, and the parent's monotonic clock, which times
// them: far below a millisecond in a test of seconds.
const clockSlop = 10 * time.Millisecond

// minGap is the least time between two rotations of the lineage. A
// Refresher schedules the next rotation at the interval after the last
// one, brought forward by a random jitter below DefaultJitter of the
// interval (c2 does not change the jitter); every member of the fleet
// counts from the same stored obtained time, and rotates only under the
// lock after reloading, so no member can rotate sooner. A shorter gap
// means two members rotated in one interval.
func minGap(interval time.Duration) time.Duration {
	return time.Duration(float64(interval)*(1-tokenrefresh.DefaultJitter)) - clockSlop
}

// maxGap is the most time between two rotations of a healthy fleet: the
// interval, plus as much again for taking the lock (polled every 50 ms at
// most for a file, 100 ms for Redis), a round trip to the fake, and the
// scheduling delays of forty race-instrumented processes on two busy
// cores (gaps of 1.84 s were seen with a 1.2 s interval while the rest of
// the module's tests ran). A longer gap means nobody rotated the token
// when it was due.
func maxGap(interval time.Duration) time.Duration { return 2 * interval }

// row is one scenario's counts, as logged.
type row struct {
	scenario  string
	procs     int     // processes started
	rotations int     // applied by the fake, the first immediate one included
	intervals float64 // time from the first rotation to the last, in intervals
	gapMin    time.Duration
	gapMax    time.Duration
	requests  int           // API calls made by the children that reported
	failures  int           // of which failed
	server401 int           // 401 answers the fake gave
	max401    int64         // most 401 answers one process met
	slowest   time.Duration // the longest API call of any process
	converge  time.Duration
	note      string
	when401   string // for a fenced fleet, when each 401 came
}

// logTable logs r under a header, in columns that can be quoted in docs.
func logTable(t *testing.T, r row) {
	t.Helper()
	t.Logf("\n%-26s %5s %9s %9s %15s %8s %6s %10s %11s %8s %9s\n%-26s %5d %9d %9.1f %15s %8d %6d %10d %11d %8s %9s\n%s",
		"scenario", "procs", "rotations", "intervals", "gap min..max", "requests", "failed", "401@server", "max401/proc", "slowest", "converge",
		r.scenario, r.procs, r.rotations, r.intervals,
		fmt.Sprintf("%.2fs..%.2fs", r.gapMin.Seconds(), r.gapMax.Seconds()),
		r.requests, r.failures, r.server401, r.max401, r.slowest.Round(time.Millisecond), r.converge.Round(time.Millisecond), r.note+r.when401)
}

// checkGaps checks the time between consecutive rotations after the
// first, immediate one: never below minGap (one rotation per interval),
// and, except across the gaps late allows, never above maxGap. It returns
// the shortest and longest gap it bounded above, and sets r.intervals.
func (f *fleet) checkGaps(r *row, late func(i int) bool) {
	f.t.Helper()
	times := f.rot.at()
	lo, hi := minGap(f.interval), maxGap(f.interval)
	for i := 1; i < len(times); i++ {
		g := times[i].Sub(times[i-1])
		if g < lo {
			f.t.Errorf("rotations %d and %d came %v apart, less than %v: two members rotated in one interval", i, i+1, g, lo)
		}
		if late != nil && late(i) {
			continue
		}
		if g > hi {
			f.t.Errorf("rotation %d came %v after the one before, more than %v: nobody rotated the token when it was due", i+1, g, hi)
		}
		if r.gapMin == 0 || g < r.gapMin {
			r.gapMin = g
		}
		r.gapMax = max(r.gapMax, g)
	}
	if len(times) > 1 {
		r.intervals = float64(times[len(times)-1].Sub(times[0])) / float64(f.interval)
	}
}

// checkEnd checks what every scenario must end with, from the fake's
// counts and the reports of the children still running: no request
// failed, no rotation was refused, every child serves the lineage's newest
// token and it is alive, no token was logged, and in a fenced fleet no
// request was answered 401. exact says that no
// child was killed, so the children's reports account for every 401 the
// fake gave. It returns the counts.
func (f *fleet) checkEnd(name string, ended []*child, exact bool) row {
	f.t.Helper()
	st := f.fake.Stats()
	last := f.last()
	r := row{scenario: name, procs: len(f.children), rotations: st.Rotations, server401: st.Unauthorized}
	if f.fence > 0 && st.Unauthorized > 0 {
		r.when401 = "\n  401s came:" + f.rejected.describe(f.rot.at())
	}
	if !f.fake.Valid(last) {
		f.t.Errorf("the lineage's newest token is not alive on the fake: the lineage was lost")
	}
	if n := f.rot.count(); n != st.Rotations {
		f.t.Errorf("the fake applied %d rotations but answered %d: a rotation's answer was lost", st.Rotations, n)
	}
	// Every rotation sent was applied, except those a fault held.
	if n := st.Requests[rotatePattern]; n != st.Rotations+st.FaultsApplied {
		f.t.Errorf("the fleet sent %d rotations; the fake applied %d and held %d", n, st.Rotations, st.FaultsApplied)
	}
	var seen401 int64
	logged := false
	for _, c := range ended {
		i, rep := c.i, c.report
		r.requests += rep.Requests
		r.failures += rep.Failures
		seen401 += rep.API401
		r.max401 = max(r.max401, rep.API401)
		r.slowest = max(r.slowest, time.Duration(rep.Slowest))
		switch {
		case rep.Failures != 0:
			f.t.Errorf("child %d: %d of %d requests failed (%d with a 401); first: %s", i, rep.Failures, rep.Requests, rep.Rejected, rep.Err)
		case rep.Lost:
			f.t.Errorf("child %d: the token was lost: %s", i, rep.Err)
		case rep.Charon401 != 0:
			f.t.Errorf("child %d: %d rotations answered 401: a member rotated a token another had rotated", i, rep.Charon401)
		case rep.Hash != hashOf(last):
			f.t.Errorf("child %d: ends on token %s; want the lineage's newest, %s", i, rep.Hash, hashOf(last))
		case !rep.Healthy:
			f.t.Errorf("child %d: the client is not healthy at the end", i)
		}
		// A member meets a 401 only with the token just rotated away, and
		// adopts the new one when it does: one per rotation at most.
		if rep.API401 > int64(st.Rotations) {
			f.t.Errorf("child %d: met %d 401s in %d rotations; want at most one per rotation", i, rep.API401, st.Rotations)
		}
		if f.t.Failed() && !logged {
			logged = true
			f.t.Logf("child %d logged:\n%s", i, c.stderrTail())
		}
	}
	if f.fence > 0 && st.Unauthorized != 0 {
		f.t.Errorf("the fake answered %d requests 401 in a fenced fleet; want 0", st.Unauthorized)
	}
	if exact && seen401 != int64(st.Unauthorized) {
		f.t.Errorf("the fake answered %d 401s; the children met %d", st.Unauthorized, seen401)
	}
	if !exact && seen401 > int64(st.Unauthorized) {
		f.t.Errorf("the children met %d 401s; the fake answered only %d", seen401, st.Unauthorized)
	}
	f.noTokenInOutput()
	return r
}

// converged returns how long after the last rotation every child served
// its token.
func (f *fleet) converged() time.Duration {
	f.t.Helper()
	f.awaitConverged()
	times := f.rot.at()
	return time.Since(times[len(times)-1])
}

// noteLine joins the parts of a row's note.
func noteLine(parts ...string) string { return "  " + strings.Join(parts, "; ") }
