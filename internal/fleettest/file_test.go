package fleettest_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/fleettest"
)

// The fleet scenarios through one token file (tokenrefresh.FileStore,
// locked with flock). The same scenarios through Redis live in the
// redisstore module, in tokenrefresh/redisstore/internal/redisfleet.

// Twenty processes share one lineage through one token file for ten
// intervals, with no fence: no request fails; some meet a 401 and are
// replayed.
func TestFleetSharesOneLineageThroughAFile(t *testing.T) {
	fleettest.Scenario(t)
	fleettest.Steady(t, "file, 20 processes", fleettest.FileSpec(t), 0)
}

// The same fleet with a fence: the fake answers no request 401.
func TestFencedFleetThroughAFileMeetsNo401(t *testing.T) {
	fleettest.Scenario(t)
	fleettest.Steady(t, "file, 20 proc, fenced", fleettest.FileSpec(t), fleettest.Fence)
}

// The lock holder is killed in the middle of a rotation: the kernel
// releases its flock at once, and the fleet loses nothing.
func TestKillingTheFileLockHolderLosesNothing(t *testing.T) {
	fleettest.Scenario(t)
	fleettest.KillLockHolder(t, "file, holder killed", fleettest.FileSpec(t))
}
