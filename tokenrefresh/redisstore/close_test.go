package redisstore_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/closetest"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// The scenarios of package closetest, which c2 and oauth run with a
// FileStore, run here with Redis: a store that honours its context, so
// that a Close that saved the token in flight on a context it had
// cancelled would lose the lineage.

func TestCloseDuringAC2RotationLosesNoLineage(t *testing.T) {
	t.Parallel() // 50 runs of 400 ms each
	closetest.CloseDuringRotation(t, redisStores(redistest.Shared(t)))
}

func TestCloseDuringAnOAuthRefreshLosesNoGrant(t *testing.T) {
	t.Parallel() // 50 runs of 400 ms each
	closetest.CloseDuringRefresh(t, redisStores(redistest.Shared(t)))
}

// redisStores returns new stores on the Redis at addr, each under a key
// of its own.
func redisStores(addr string) closetest.NewStore {
	return func(t *testing.T) tokenrefresh.Store {
		return mustStore(t, newClient(t, addr), redistest.Key(t, addr))
	}
}
