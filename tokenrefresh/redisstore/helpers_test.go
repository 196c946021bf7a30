package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// redisAddrEnv names the Redis server the tests share, as host:port. The
// tests that need one skip when it is unset or unreachable.
const redisAddrEnv = "BEARER_REDIS_ADDR"

// waitLimit bounds every wait on a goroutine or a process, so a broken
// test fails instead of hanging; passing tests never come near it.
// Redis's reconnection backoff is at most 5 s, hence the margin.
const waitLimit = 20 * time.Second

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// newClient returns a client for addr that fails fast when Redis is down
// (no retries, short dial timeout), closed at the end of the test.
func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:               addr,
		MaxRetries:         -1,
		DialerRetries:      1,
		DialerRetryTimeout: 10 * time.Millisecond,
		DialTimeout:        time.Second,
		ReadTimeout:        2 * time.Second,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// sharedRedis returns the address of the Redis in redisAddrEnv, or skips.
func sharedRedis(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(redisAddrEnv)
	if addr == "" {
		t.Skipf("%s is not set: start a Redis (redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes) and set %s=127.0.0.1:6390 to run this test",
			redisAddrEnv, redisAddrEnv)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Skipf("the Redis at %s=%s is unreachable (%v): start it, or unset %s", redisAddrEnv, addr, err, redisAddrEnv)
	}
	return addr
}

// testKey returns a key that no other test, or run, uses, and deletes it
// and its lock at the end of the test.
func testKey(t *testing.T, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	key := "bearer-test:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.Del(ctx, key, key+":lock")
	})
	return key
}

func mustStore(t *testing.T, c redis.UniversalClient, key string, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(c, key, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// freeAddr returns a loopback address on which nothing listens.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// redisServer is a private redis-server process for tests that stop and
// restart Redis. It keeps nothing on disk, so a restart loses every key.
type redisServer struct {
	t    *testing.T
	bin  string
	port string
	Addr string

	mu  sync.Mutex // guards cmd
	cmd *exec.Cmd
}

// privateRedis starts a redis-server of the test's own on a free loopback
// port, or skips if the binary is not on PATH.
func privateRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: this test starts and restarts a Redis of its own (apt-get install redis-server)")
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	s := &redisServer{t: t, bin: bin, port: port, Addr: addr}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server and waits until it answers.
func (s *redisServer) Start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.t.TempDir())
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(waitLimit)
	for { // bounded polling of an external process
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server on %s never answered: %v\n%s", s.Addr, err, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would, and waits for it to exit.
func (s *redisServer) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// chain is a token server whose rotation kills the old token, as Charon
// does: rotating any token but the live one is a permanent failure.
type chain struct {
	mu   sync.Mutex // guards live, n
	live string
	n    int
}

func (c *chain) rotate(_ context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur == nil || cur.AccessToken != c.live {
		return nil, tokenrefresh.Permanent(errors.New("401: token is not active; issue a new one"))
	}
	c.n++
	c.live = "rot-" + strconv.Itoa(c.n)
	return &oauth2.Token{AccessToken: c.live}, nil
}

func (c *chain) state() (live string, rotations int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live, c.n
}

// replica is one Refresher of a fleet, counting its calls of the chain.
type replica struct {
	r       *tokenrefresh.Refresher
	mu      sync.Mutex // guards calls
	calls   int
	rotated chan string
}

// startReplica starts a Refresher on the chain with store and clk,
// closed at the end of the test.
func startReplica(t *testing.T, c *chain, store tokenrefresh.Store, clk *fakeclock.Clock, cfg tokenrefresh.Config) *replica {
	t.Helper()
	rp := &replica{rotated: make(chan string, 1000)}
	cfg.Refresh = func(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
		rp.mu.Lock()
		rp.calls++
		rp.mu.Unlock()
		return c.rotate(ctx, cur)
	}
	cfg.OnRotate = func(_, n *oauth2.Token) { rp.rotated <- n.AccessToken }
	cfg.Clock, cfg.Store, cfg.Jitter = clk, store, -1
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	r, err := tokenrefresh.New(ctx, cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	rp.r = r
	return rp
}

func (rp *replica) Calls() int {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.calls
}

// current returns the token the replica serves.
func (rp *replica) current(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := rp.r.Token(ctx)
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	return tok.AccessToken
}

// waitRotation waits until the replica publishes want.
func (rp *replica) waitRotation(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case got := <-rp.rotated:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("the replica never published %q", want)
		}
	}
}

// waitToken waits until the replica serves want.
func (rp *replica) waitToken(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(waitLimit)
	for rp.current(t) != want {
		select {
		case <-rp.rotated:
		case <-deadline:
			t.Fatalf("the replica never served %q; it serves %q", want, rp.current(t))
		}
	}
}

// eventually waits, polling, until cond holds: for conditions that only
// an external process (Redis) changes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// status waits until the replica's status satisfies cond.
func (rp *replica) status(t *testing.T, what string, cond func(tokenrefresh.Status) bool) tokenrefresh.Status {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		st := rp.r.Status()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("never: %s; last status %+v", what, st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
