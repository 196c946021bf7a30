// Package redistest gives tests a Redis: the shared one named by
// [AddrEnv], or a private redis-server of the test's own that it may stop
// and restart. A test that cannot have one skips with a message that says
// how to provide it.
//
// Usage:
//
//	addr := redistest.Shared(t)
//	key := redistest.Key(t, addr)
//
//	srv := redistest.Private(t) // stopped at the end of the test
//	srv.Kill()                  // an outage, as a crash
//	srv.Start()                 // back, empty
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// AddrEnv names the Redis server the tests share, as host:port.
const AddrEnv = "BEARER_REDIS_ADDR"

// pingLimit bounds the check that the shared Redis answers: a local
// server answers in well under a millisecond, so two seconds means down.
const pingLimit = 2 * time.Second

// Shared returns the address of the Redis in [AddrEnv], or skips t when it
// is unset or does not answer, saying how to start one.
func Shared(t testing.TB) string {
	t.Helper()
	addr := os.Getenv(AddrEnv)
	if addr == "" {
		t.Skipf("%s is not set: start a Redis (redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes) and set %s=127.0.0.1:6390 to run this test",
			AddrEnv, AddrEnv)
	}
	if err := Ping(addr, pingLimit); err != nil {
		t.Skipf("the Redis at %s=%s is unreachable (%v): start it, or unset %s", AddrEnv, addr, err, AddrEnv)
	}
	return addr
}

// Ping asks the Redis at addr for a PONG within limit, without retries.
func Ping(addr string, limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: limit})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return c.Ping(ctx).Err()
}

// Key returns a key on the Redis at addr that no other test, or run,
// uses, and deletes it and its lock (key+":lock") at the end of the test.
func Key(t testing.TB, addr string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	key := "bearer-test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: pingLimit})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), pingLimit)
		defer cancel()
		c.Del(ctx, key, key+":lock")
	})
	return key
}

// FreeAddr returns a loopback address on which nothing listens.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
