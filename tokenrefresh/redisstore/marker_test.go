package redisstore_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/markertest"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// The scenarios of package markertest, which tokenrefresh runs with two
// FileStores on one file, run here with two clients of one Redis: the
// rotation-in-flight marker keeps a replica from presenting the refresh
// token another replica rotated but could not save yet.

func TestRedisUnsavedRotationKeepsTheGrant(t *testing.T) {
	markertest.UnsavedRotationKeepsTheGrant(t, redisPair(redistest.Shared(t)))
}

func TestRedisDeadHolderIsWaitedForBounded(t *testing.T) {
	markertest.DeadHolderIsWaitedForBounded(t, redisPair(redistest.Shared(t)))
}

// redisPair returns two stores, each with a client of its own, on one
// new key of the Redis at addr.
func redisPair(addr string) markertest.NewStores {
	return func(t *testing.T) (a, b tokenrefresh.Locker) {
		key := redistest.Key(t, addr)
		return mustStore(t, newClient(t, addr), key), mustStore(t, newClient(t, addr), key)
	}
}
