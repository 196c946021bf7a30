package redisfleet_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fleettest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore/internal/redisclient"
	"go.uber.org/goleak"
)

// TestMain runs a fleet member when a scenario re-executes the binary as
// one, with the store openRedis opens, and otherwise the tests, failing
// the package if any goroutine outlives its test. go-redis's own log of
// failed dials, which the Redis restart provokes by the hundred, is
// silenced.
func TestMain(m *testing.M) {
	redisclient.Silence()
	fleettest.RunIfMember(openRedis)
	goleak.VerifyTestMain(m)
}

// specPrefix starts the spec of a redisstore.Store: redis:ADDR/KEY.
const specPrefix = "redis:"

// childLockTTL is the Redis lock's TTL in the members. A Refresher's
// attempt takes the lock with a deadline (its AttemptTimeout, 30 s in a
// c2 client) and redisstore stretches the lock to that deadline plus a
// second, so this only sets the floor: the default minute would keep a
// dead holder's lock for a minute rather than 31 s.
const childLockTTL = time.Second

// redisSpec returns the spec of the store under key in the Redis at addr.
func redisSpec(addr, key string) string { return specPrefix + addr + "/" + key }

// openRedis opens the store a redisSpec names, in a member's process.
func openRedis(spec string) (tokenrefresh.Store, func(), error) {
	addr, key, ok := strings.Cut(strings.TrimPrefix(spec, specPrefix), "/")
	if !ok || !strings.HasPrefix(spec, specPrefix) {
		return nil, nil, fmt.Errorf("store spec %q: want %sADDR/KEY", spec, specPrefix)
	}
	// Fail fast while Redis is down, as the redisstore tests do: the
	// Refresher retries by itself.
	rdb := redisclient.New(addr)
	s, err := redisstore.New(rdb, key, redisstore.WithLockTTL(childLockTTL))
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return s, func() { rdb.Close() }, nil
}
