// Package closetest holds two scenarios that every tokenrefresh.Store
// must pass: Close while a rotation is in flight, which the server has
// applied and answers later. [CloseDuringRotation] runs it with a C2
// client and a fake Charon, [CloseDuringRefresh] with an OAuth refresh
// token that the server rotates ([RotatingServer]). Close must wait for
// the answer and save it, on a context that Close does not cancel, so
// that the store holds the live token and the next start resumes the
// lineage.
//
// The c2 and oauth tests run them with a tokenrefresh.FileStore; the
// redisstore module runs them with Redis, a store that honours its
// context (the root module must not require go-redis).
package closetest

import (
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// A NewStore returns a new, empty store for one run of a scenario.
type NewStore func(t *testing.T) tokenrefresh.Store

// answerDelay is how long after applying a rotation the servers of the
// scenarios answer it: the answer's travel time, which the scenarios do
// not wait on (they wait for the rotation to be applied, then Close). It
// is long enough that Close comes first; on a machine so slow that it did
// not, a run would test an ordinary Close and pass, never fail wrongly.
// No event could hold the answer until Close has begun: the Refresher
// tells its store that only through a Watcher, which would make it a
// fleet member and change what the scenarios test.
const answerDelay = 400 * time.Millisecond

// waitLimit bounds every wait for a server, so a broken test fails
// instead of hanging.
const waitLimit = 10 * time.Second

// runs returns how many times a scenario runs: 50, or 5 with -short.
func runs() int {
	if testing.Short() {
		return 5
	}
	return 50
}
