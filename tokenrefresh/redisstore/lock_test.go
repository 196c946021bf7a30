package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
)

// Environment of a re-executed test binary running TestHelperProcess.
const (
	helperEnv        = "BEARER_REDISSTORE_HELPER" // contend or hold
	helperAddrEnv    = "BEARER_REDISSTORE_HELPER_ADDR"
	helperKeyEnv     = "BEARER_REDISSTORE_HELPER_KEY"
	helperTTLEnv     = "BEARER_REDISSTORE_HELPER_TTL"
	helperLogEnv     = "BEARER_REDISSTORE_HELPER_LOG"
	helperRoundsEnv  = "BEARER_REDISSTORE_HELPER_ROUNDS"
	helperLockedLine = "locked"
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
		if err := contend(s, os.Getenv(helperLogEnv), rounds); err != nil {
			t.Fatal(err)
		}
	case "hold":
		if _, err := s.Lock(context.Background()); err != nil {
			t.Fatal(err)
		}
		fmt.Println(helperLockedLine)
		io.Copy(io.Discard, os.Stdin) // hold until killed, or the parent goes
	default:
		t.Fatalf("unknown helper %q", mode)
	}
}

// contend takes the lock rounds times, each time appending a begin and an
// end marker to the log, with a read of the whole log in between.
func contend(s *redisstore.Store, log string, rounds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	pid := os.Getpid()
	for range rounds {
		unlock, err := s.Lock(ctx)
		if err != nil {
			return err
		}
		if err := appendLine(log, fmt.Sprintf("begin %d", pid)); err != nil {
			return err
		}
		if _, err := os.ReadFile(log); err != nil {
			return err
		}
		if err := appendLine(log, fmt.Sprintf("end %d", pid)); err != nil {
			return err
		}
		if err := unlock(); err != nil {
			return err
		}
	}
	return nil
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func helper(mode, addr, key string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperAddrEnv+"="+addr, helperKeyEnv+"="+key)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func TestLockExcludesGoroutines(t *testing.T) {
	c := newClient(t, sharedRedis(t))
	key := testKey(t, c)
	var holders atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for i := range 8 {
		s := mustStore(t, c, key) // some share a Store, some have their own
		if i%2 == 0 {
			s = mustStore(t, newClient(t, c.Options().Addr), key)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			for range 20 {
				unlock, err := s.Lock(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if holders.Add(1) > 1 {
					overlap.Store(true)
				}
				runtime.Gosched()
				holders.Add(-1)
				if err := unlock(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Error("two goroutines held the lock at once")
	}
}

func TestLockExcludesProcesses(t *testing.T) {
	addr := sharedRedis(t)
	c := newClient(t, addr)
	key := testKey(t, c)
	log := filepath.Join(t.TempDir(), "critical.log")
	const procs, rounds = 6, 20
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range procs {
		cmd := helper("contend", addr, key, helperLogEnv+"="+log, fmt.Sprintf("%s=%d", helperRoundsEnv, rounds))
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2*procs*rounds {
		t.Fatalf("critical-section log has %d lines; want %d", len(lines), 2*procs*rounds)
	}
	for i := 0; i < len(lines); i += 2 {
		b, e := strings.TrimPrefix(lines[i], "begin "), strings.TrimPrefix(lines[i+1], "end ")
		if b == lines[i] || e == lines[i+1] || b != e {
			t.Fatalf("critical sections overlap at line %d: %q then %q", i+1, lines[i], lines[i+1])
		}
	}
}

func TestLockExpiresAfterItsHolderIsKilled(t *testing.T) {
	addr := sharedRedis(t)
	c := newClient(t, addr)
	key := testKey(t, c)
	const ttl = 1500 * time.Millisecond
	cmd := helper("hold", addr, key, helperTTLEnv+"="+ttl.String())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
		stdin.Close()
	})
	locked := make(chan struct{}, 1)
	go func() { // ends when the helper's stdout closes, as it dies
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == helperLockedLine {
				locked <- struct{}{}
			}
		}
	}()
	select {
	case <-locked:
	case <-time.After(waitLimit):
		t.Fatal("the helper process never took the lock")
	}
	s := mustStore(t, c, key)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock() while another process holds it = %v; want a deadline error", err)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: it never releases
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
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
	c := newClient(t, sharedRedis(t))
	key := testKey(t, c)
	short := mustStore(t, c, key, redisstore.WithLockTTL(200*time.Millisecond))
	ctx := context.Background()
	unlockA, err := short.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lock expires", func() bool { return c.Exists(ctx, key+":lock").Val() == 0 })
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
	c := newClient(t, sharedRedis(t))
	key := testKey(t, c)
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
	c := newClient(t, sharedRedis(t))
	key := testKey(t, c)
	s := mustStore(t, c, key)
	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Lock(ctx)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lock() cancelled while waiting = %v; want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Lock() did not return after its context was cancelled")
	}
}

var _ redis.UniversalClient = (*redis.ClusterClient)(nil) // New takes any UniversalClient
