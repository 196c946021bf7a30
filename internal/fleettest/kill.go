package fleettest

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// takeoverLimit bounds the wait for the fleet to rotate again after the
// lock holder was killed: a Redis lock outlives a dead c2 client by its
// attempt's deadline, DefaultAttemptTimeout, plus redisstore's one-second
// margin; a file lock is released by the kernel at once.
const takeoverLimit = tokenrefresh.DefaultAttemptTimeout + 10*time.Second

// KillLockHolder runs the scenario named name: a member of a fenced
// fleet sharing the store spec names is killed with SIGKILL while it
// holds the lock, in the middle of a rotation: the fake holds its PUT
// before applying it. Every other member comes due meanwhile and waits
// for the lock. The kernel releases a dead holder's file lock at once; a
// Redis lock expires when the attempt it guarded would have timed out,
// plus a second: a c2 client's attempts last at most
// DefaultAttemptTimeout (30 s), and c2 offers no option to shorten them.
// Then another member takes the lock, finds the dead holder's rotation
// marker (tokenrefresh.Entry.Rotating) and, the holder having run on
// this host, knows it dead and does not wait for it; it finds the
// rotation overdue, and
// plans it 2*fence ahead in the store; every member holds its requests
// for that moment, and one rotates the same token: nothing is lost, and
// no request is answered 401. The kill cannot land between Charon's
// rotation and the save, the one window that loses a lineage (see the c2
// crash test), since the fault holds the rotation before it is applied.
func KillLockHolder(t *testing.T, name, spec string) {
	t.Helper()
	f := newFleet(t, interval, spec)
	f.fence = Fence
	f.start(fleetSize)
	f.awaitRotations(2, maxGap(interval))
	f.awaitConverged()
	f.drainPuts()

	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	arrived := make(chan struct{}, 1)
	f.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Count: 1, Block: block,
		OnMatch: func() { arrived <- struct{}{} }})
	select {
	case <-arrived:
	case <-time.After(maxGap(interval)):
		t.Fatalf("no rotation reached the fake within %v", maxGap(interval))
	}
	locked := time.Now()
	holder := f.nextPut(waitLimit)
	f.hold(interval) // every other member comes due, and waits for the lock
	if c := f.pendingPut(); c != nil {
		t.Fatalf("child %d sent a rotation while child %d held the lock", c.i, holder.i)
	}
	killed := time.Now()
	f.kill(holder)
	f.awaitRotations(3, takeoverLimit)
	takeover := f.rot.at()[2]
	f.awaitRotations(5, maxGap(interval))
	f.freeze()
	converge := f.converged()
	r := f.checkEnd(name, f.stop(), false)
	if r.rotations != 5 {
		t.Errorf("the fleet rotated %d times; want 5: two before the kill, the takeover, two after", r.rotations)
	}
	f.checkGaps(&r, func(i int) bool { return i == 2 }) // the gap across the kill
	r.converge = converge
	r.note = noteLine(fmt.Sprintf("interval %v, fence %v", interval, f.fence),
		fmt.Sprintf("holder killed %v after it took the lock; the others rotated %v after the kill, %v after it took the lock",
			killed.Sub(locked).Round(time.Millisecond), takeover.Sub(killed).Round(time.Millisecond), takeover.Sub(locked).Round(time.Millisecond)),
		"lineage lost 0 times (the kill fell before Charon applied the rotation)")
	logTable(t, r)
}
