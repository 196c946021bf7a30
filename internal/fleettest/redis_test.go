package fleettest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/redis/go-redis/v9"
)

// redisAddrEnv names the Redis server the tests share, as host:port.
const redisAddrEnv = "BEARER_REDIS_ADDR"

// sharedRedis returns the address of the Redis in redisAddrEnv, or skips.
func sharedRedis(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(redisAddrEnv)
	if addr == "" {
		t.Skipf("%s is not set: start a Redis (redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes) and set %s=127.0.0.1:6390 to run this fleet over Redis",
			redisAddrEnv, redisAddrEnv)
	}
	if err := ping(addr, 2*time.Second); err != nil {
		t.Skipf("the Redis at %s=%s is unreachable (%v): start it, or unset %s", redisAddrEnv, addr, err, redisAddrEnv)
	}
	return addr
}

// ping asks the Redis at addr for a PONG within limit.
func ping(addr string, limit time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: limit})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	return c.Ping(ctx).Err()
}

// testKey returns a key that no other test, or run, uses, and deletes it
// and its lock at the end of the test.
func testKey(t *testing.T, addr string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	key := "bearer-fleettest:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.Del(ctx, key, key+":lock")
	})
	return key
}

// redisEnv returns the children's environment entries for a redisstore
// at addr under key.
func redisEnv(addr, key string) []string {
	return []string{envRedisAddr + "=" + addr, envRedisKey + "=" + key}
}

// redisServer is a private redis-server process, for the test that stops
// and restarts Redis. It keeps nothing on disk, so a restart loses every
// key, as a cache without persistence does.
type redisServer struct {
	t    *testing.T
	bin  string
	dir  string
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
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	s := &redisServer{t: t, bin: bin, dir: t.TempDir(), port: port, Addr: addr}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server and waits until it answers.
func (s *redisServer) Start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	deadline := time.Now().Add(waitLimit)
	for { // bounded polling of an external process
		err := ping(s.Addr, 100*time.Millisecond)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("redis-server on %s never answered: %v\n%s", s.Addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts the server down with SIGTERM (it saves nothing, having no
// persistence) and waits for it to exit; SIGKILL after waitLimit.
func (s *redisServer) Stop() {
	s.mu.Lock()
	cmd := s.cmd
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitLimit):
		cmd.Process.Kill()
		<-done
	}
}
