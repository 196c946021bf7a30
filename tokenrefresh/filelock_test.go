//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh_test

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

	"github.com/bearer-go/bearer/tokenrefresh"
)

// helperEnv tells a re-executed test binary which helper to run in
// TestHelperProcess; helperPath and helperLog name its files.
const (
	helperEnv        = "BEARER_TOKENREFRESH_HELPER"
	helperPathEnv    = "BEARER_TOKENREFRESH_HELPER_PATH"
	helperLogEnv     = "BEARER_TOKENREFRESH_HELPER_LOG"
	helperRoundsEnv  = "BEARER_TOKENREFRESH_HELPER_ROUNDS"
	helperLockedLine = "locked"
)

// TestHelperProcess is not a test: the lock tests run the test binary
// again with helperEnv set, so that several real processes contend for a
// FileStore's lock.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("runs only as a subprocess of the FileStore lock tests")
	}
	store, err := tokenrefresh.NewFileStore(os.Getenv(helperPathEnv))
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case "contend":
		rounds, _ := strconv.Atoi(os.Getenv(helperRoundsEnv))
		if err := contend(store, os.Getenv(helperLogEnv), rounds); err != nil {
			t.Fatal(err)
		}
	case "hold":
		unlock, err := store.Lock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(helperLockedLine)
		io.Copy(io.Discard, os.Stdin) // hold until killed, or the parent goes
		unlock()
	default:
		t.Fatalf("unknown helper %q", mode)
	}
}

// contend takes the lock rounds times, and each time appends a begin and
// an end marker to the log, with a read of the whole log in between to
// widen the critical section.
func contend(store *tokenrefresh.FileStore, log string, rounds int) error {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	pid := os.Getpid()
	for range rounds {
		unlock, err := store.Lock(ctx)
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

// helper returns a command that runs TestHelperProcess in mode on the
// token file at path.
func helper(t *testing.T, mode, path string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

func TestFileStoreLockExcludesProcesses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	log := filepath.Join(dir, "critical.log")
	const procs, rounds = 8, 25
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range procs {
		cmd := helper(t, "contend", path, helperLogEnv+"="+log, fmt.Sprintf("%s=%d", helperRoundsEnv, rounds))
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

func TestFileStoreLockIsFreedWhenItsHolderIsKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	cmd := helper(t, "hold", path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
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
	lines := make(chan string, 1)
	go func() { // ends when the helper's stdout closes, as it dies
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == helperLockedLine {
				lines <- sc.Text()
			}
		}
	}()
	select {
	case <-lines:
	case <-time.After(waitLimit):
		t.Fatal("the helper process never took the lock")
	}

	store, _ := tokenrefresh.NewFileStore(path)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if unlock, err := store.Lock(ctx); err == nil {
		unlock()
		t.Fatal("Lock() succeeded while another process holds the lock")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock() while another process holds the lock = %v; want a deadline error", err)
	}

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to unlock
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	start := time.Now()
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitLimit)
	defer cancel2()
	unlock, err := store.Lock(ctx2)
	if err != nil {
		t.Fatalf("Lock() after the holder was killed = %v", err)
	}
	unlock()
	t.Logf("lock taken %v after its holder was killed", time.Since(start).Round(time.Millisecond))
}

func TestFileStoreLockExcludesWithinOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	a, _ := tokenrefresh.NewFileStore(path)
	b, _ := tokenrefresh.NewFileStore(path)

	unlock, err := a.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*tokenrefresh.FileStore{a, b} { // same store, and another one
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		if u, err := s.Lock(ctx); err == nil {
			u()
			t.Errorf("a second Lock() in the same process succeeded while the lock is held")
		}
		cancel()
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock() = %v; want nil (idempotent)", err)
	}

	// Goroutines on two stores and on a shared one never overlap.
	var holders atomic.Int32
	var overlap atomic.Bool
	var wg sync.WaitGroup
	for i := range 8 {
		s := []*tokenrefresh.FileStore{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			for range 25 {
				u, err := s.Lock(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if holders.Add(1) > 1 {
					overlap.Store(true)
				}
				runtime.Gosched()
				holders.Add(-1)
				u()
			}
		}()
	}
	wg.Wait()
	if overlap.Load() {
		t.Errorf("two goroutines held the lock at once")
	}
	fi, err := os.Stat(a.LockPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("lock file %s: %v, mode %v; want it to exist with mode 0600", a.LockPath(), err, fi.Mode().Perm())
	}
}

func TestFileStoreLockHonoursContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	s, _ := tokenrefresh.NewFileStore(path)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Lock(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock(cancelled ctx) = %v; want context.Canceled", err)
	}
	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx2, cancel2 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Lock(ctx2)
		errc <- err
	}()
	cancel2()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Lock() cancelled while waiting = %v; want context.Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Lock() did not return after its context was cancelled")
	}
}
