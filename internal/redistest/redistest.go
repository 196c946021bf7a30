// Package redistest gives tests a Redis: the shared one named by
// [AddrEnv], or a private redis-server of the test's own that it may stop
// and restart. A test that cannot have one skips with a message that says
// how to provide it.
//
// It speaks to Redis itself, in a few lines of its protocol (RESP), rather
// than through go-redis: it serves tests in the main module and in the
// nested ones, and the main module must not require go-redis.
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
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
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
	reply, err := do(addr, limit, "PING")
	if err == nil && reply != "+PONG" {
		err = fmt.Errorf("redistest: PING answered %q", reply)
	}
	return err
}

// do sends one command to the Redis at addr on a connection of its own,
// all within limit, and returns the first line of the reply: "+PONG" for
// a PING, ":2" for a DEL of two keys. An error reply is an error.
func do(addr string, limit time.Duration, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, limit)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(limit))
	var cmd strings.Builder
	fmt.Fprintf(&cmd, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&cmd, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(cmd.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if msg, ok := strings.CutPrefix(line, "-"); ok {
		return "", fmt.Errorf("redistest: %s: %s", args[0], msg)
	}
	return line, nil
}

// Key returns a key on the Redis at addr that no other test, or run,
// uses, and deletes it and its lock (key+":lock") at the end of the test.
func Key(t testing.TB, addr string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	key := "bearer-test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() { do(addr, pingLimit, "DEL", key, key+":lock") })
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
