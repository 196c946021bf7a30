// Package redisclient opens the go-redis clients of the redisstore
// module's tests, in the test binaries and in the fleet members they
// start: clients that fail fast while Redis is down, since the code under
// test retries by itself, and a go-redis that does not log each failed
// dial, which outage tests provoke by the hundred.
package redisclient

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeouts of a test client. One quick dial, then an error: a test that
// stops Redis sees the store fail at once, not after go-redis's retries.
// The read timeout is well above a local Redis's answer (under a
// millisecond) and below the tests' own bounds.
const (
	dialRetryWait = 10 * time.Millisecond
	dialTimeout   = time.Second
	readTimeout   = 2 * time.Second
)

// New returns a client for the Redis at addr that fails fast when Redis
// is down: no retried commands, one dial retry. The caller closes it.
func New(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:               addr,
		MaxRetries:         -1,
		DialerRetries:      1,
		DialerRetryTimeout: dialRetryWait,
		DialTimeout:        dialTimeout,
		ReadTimeout:        readTimeout,
		// The store refuses a client that ignores its contexts.
		ContextTimeoutEnabled: true,
	})
}

// Silence stops go-redis's own log, for the whole process.
func Silence() { redis.SetLogger(quiet{}) }

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
