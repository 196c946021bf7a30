package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/locktest"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
)

// Environment of a re-executed test binary running TestHelperProcess.
const (
	helperEnv       = "BEARER_REDISSTORE_HELPER" // contend or hold
	helperAddrEnv   = "BEARER_REDISSTORE_HELPER_ADDR"
	helperKeyEnv    = "BEARER_REDISSTORE_HELPER_KEY"
	helperTTLEnv    = "BEARER_REDISSTORE_HELPER_TTL"
	helperLogEnv    = "BEARER_REDISSTORE_HELPER_LOG"
	helperRoundsEnv = "BEARER_REDISSTORE_HELPER_ROUNDS"
)

// TestHelperProcess is not a test: the lock tests run the test binary
// again with helperEnv set, so that real processes contend for the lock.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("runs only as a subprocess of the lock tests")
	}
	c := newClient(t, os.Getenv(helperAddrEnv))
	ttl, err := time.ParseDuration(os.Getenv(helperTTLEnv))
	if err != nil {
		ttl = redisstore.DefaultLockTTL
	}
	s := mustStore(t, c, os.Getenv(helperKeyEnv), redisstore.WithLockTTL(ttl))
	switch mode {
	case "contend":
		rounds, _ := strconv.Atoi(os.Getenv(helperRoundsEnv))
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := locktest.Contend(ctx, s, os.Getenv(helperLogEnv), rounds); err != nil {
			t.Fatal(err)
		}
	case "hold":
		// Until killed, or the parent goes; the lock is left to expire.
		if _, err := locktest.Hold(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown helper %q", mode)
	}
}

// helper returns a command that runs TestHelperProcess in mode on the
// lock of key in the Redis at addr.
func helper(mode, addr, key string, env ...string) *exec.Cmd {
	return locktest.Command(append([]string{helperEnv + "=" + mode, helperAddrEnv + "=" + addr, helperKeyEnv + "=" + key}, env...)...)
}

func TestLockExcludesGoroutines(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	var lockers []locktest.Locker
	for i := range 8 {
		s := mustStore(t, c, key) // some share a Store, some have their own
		if i%2 == 0 {
			s = mustStore(t, newClient(t, addr), key)
		}
		lockers = append(lockers, s)
	}
	locktest.ExcludesGoroutines(t, lockers, 20, waitLimit)
}

func TestLockExcludesProcesses(t *testing.T) {
	addr := redistest.Shared(t)
	key := redistest.Key(t, addr)
	locktest.RunContenders(t, 6, 20, func(log string, rounds int) *exec.Cmd {
		return helper("contend", addr, key, helperLogEnv+"="+log, fmt.Sprintf("%s=%d", helperRoundsEnv, rounds))
	})
}

func TestLockExpiresAfterItsHolderIsKilled(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	const ttl = 1500 * time.Millisecond
	kill := locktest.StartHolder(t, helper("hold", addr, key, helperTTLEnv+"="+ttl.String()), waitLimit)
	s := mustStore(t, c, key)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock() while another process holds it = %v; want a deadline error", err)
	}

	kill() // SIGKILL: it never releases
	start := time.Now()
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitLimit)
	defer cancel2()
	unlock, err := s.Lock(ctx2)
	if err != nil {
		t.Fatalf("Lock() after the holder was killed = %v", err)
	}
	waited := time.Since(start)
	if err := unlock(); err != nil {
		t.Error(err)
	}
	t.Logf("lock taken %v after its holder was killed (TTL %v)", waited.Round(time.Millisecond), ttl)
	if waited > ttl+time.Second {
		t.Errorf("the lock of a killed holder was taken after %v; want within its TTL %v", waited, ttl)
	}
}

func TestExpiredHolderCannotReleaseTheNextHoldersLock(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	short := mustStore(t, c, key, redisstore.WithLockTTL(200*time.Millisecond))
	ctx := context.Background()
	unlockA, err := short.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// b's Lock waits for the lock to expire: Redis tells no client when a
	// key expires unless keyspace notifications are on, and the shared
	// Redis is not ours to configure.
	b := mustStore(t, c, key)
	wctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	unlockB, err := b.Lock(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := unlockA(); !errors.Is(err, redisstore.ErrLockLost) {
		t.Errorf("release of an expired lock = %v; want ErrLockLost", err)
	}
	if c.Exists(ctx, key+":lock").Val() != 1 {
		t.Fatal("the expired holder deleted the next holder's lock")
	}
	if err := unlockB(); err != nil {
		t.Errorf("release by the holder = %v", err)
	}
	if err := unlockB(); err != nil {
		t.Errorf("second release = %v; want nil (idempotent)", err)
	}
	if c.Exists(ctx, key+":lock").Val() != 0 {
		t.Error("the lock is still there after its holder released it")
	}
}

func TestLockStretchesItsTTLToTheContextDeadline(t *testing.T) {
	addr := redistest.Shared(t)
	c := newClient(t, addr)
	key := redistest.Key(t, addr)
	s := mustStore(t, c, key, redisstore.WithLockTTL(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if ttl := c.PTTL(ctx, key+":lock").Val(); ttl < 30*time.Second {
		t.Errorf("lock TTL with a 30 s context = %v; want it to outlive the context", ttl)
	}
}

func TestLockHonoursContext(t *testing.T) {
	addr := redistest.Shared(t)
	locktest.WaitHonoursContext(t, mustStore(t, newClient(t, addr), redistest.Key(t, addr)), waitLimit)
}

var _ redis.UniversalClient = (*redis.ClusterClient)(nil) // New takes any UniversalClient
