package redisfleet_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/fleettest"
	"github.com/bearer-go/bearer/internal/redistest"
)

// Twenty processes share one lineage through one Redis key for ten
// intervals, with no fence: no request fails; some meet a 401 and are
// replayed.
func TestFleetSharesOneLineageThroughRedis(t *testing.T) {
	fleettest.Scenario(t)
	addr := redistest.Shared(t)
	fleettest.Steady(t, "redis, 20 processes", redisSpec(addr, redistest.Key(t, addr)), 0)
}

// The same fleet with a fence: the fake answers no request 401.
func TestFencedFleetThroughRedisMeetsNo401(t *testing.T) {
	fleettest.Scenario(t)
	addr := redistest.Shared(t)
	fleettest.Steady(t, "redis, 20 proc, fenced", redisSpec(addr, redistest.Key(t, addr)), fleettest.Fence)
}

// A Redis of the test's own is shut down for two intervals in the middle
// of a fenced fleet's run, and comes back empty: nothing is lost, and no
// request is answered 401.
func TestFleetOnRedisSurvivesARestart(t *testing.T) {
	fleettest.Scenario(t)
	rs := redistest.Private(t)
	fleettest.SurviveRestart(t, "redis restarted, 20 proc", redisSpec(rs.Addr, "bearer-fleettest:restart"), rs)
}

// The lock holder is killed in the middle of a rotation: its Redis lock
// expires 31 s later, and the fleet loses nothing.
func TestKillingTheRedisLockHolderLosesNothing(t *testing.T) {
	fleettest.Scenario(t)
	addr := redistest.Shared(t)
	fleettest.KillLockHolder(t, "redis, holder killed", redisSpec(addr, redistest.Key(t, addr)))
}
