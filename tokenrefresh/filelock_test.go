//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/locktest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// helperEnv tells a re-executed test binary which helper to run in
// TestHelperProcess; helperPath and helperLog name its files.
const (
	helperEnv       = "BEARER_TOKENREFRESH_HELPER"
	helperPathEnv   = "BEARER_TOKENREFRESH_HELPER_PATH"
	helperLogEnv    = "BEARER_TOKENREFRESH_HELPER_LOG"
	helperRoundsEnv = "BEARER_TOKENREFRESH_HELPER_ROUNDS"
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
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := locktest.Contend(ctx, store, os.Getenv(helperLogEnv), rounds); err != nil {
			t.Fatal(err)
		}
	case "hold":
		unlock, err := locktest.Hold(context.Background(), store) // until killed, or the parent goes
		if err != nil {
			t.Fatal(err)
		}
		unlock()
	case "save":
		rounds, _ := strconv.Atoi(os.Getenv(helperRoundsEnv))
		if err := saveLoop(store, os.Getenv(helperTokenEnv), rounds); err != nil {
			t.Fatal(err)
		}
	case "hold-temp":
		holdTemp(t, store.Path())
	default:
		t.Fatalf("unknown helper %q", mode)
	}
}

// helper returns a command that runs TestHelperProcess in mode on the
// token file at path.
func helper(mode, path string, env ...string) *exec.Cmd {
	return locktest.Command(append([]string{helperEnv + "=" + mode, helperPathEnv + "=" + path}, env...)...)
}

func TestFileStoreLockExcludesProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	locktest.RunContenders(t, 8, 25, func(log string, rounds int) *exec.Cmd {
		return helper("contend", path, helperLogEnv+"="+log, fmt.Sprintf("%s=%d", helperRoundsEnv, rounds))
	})
}

func TestFileStoreLockIsFreedWhenItsHolderIsKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	kill := locktest.StartHolder(t, helper("hold", path), waitLimit)

	store, _ := tokenrefresh.NewFileStore(path)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if unlock, err := store.Lock(ctx); err == nil {
		unlock()
		t.Fatal("Lock() succeeded while another process holds the lock")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock() while another process holds the lock = %v; want a deadline error", err)
	}

	kill() // SIGKILL: no chance to unlock
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
	var lockers []locktest.Locker
	for i := range 8 {
		lockers = append(lockers, []*tokenrefresh.FileStore{a, b}[i%2])
	}
	locktest.ExcludesGoroutines(t, lockers, 25, waitLimit)
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
	locktest.WaitHonoursContext(t, s, waitLimit)
}

// A symbolic link at the lock file's path is refused, never followed:
// a dangling one does not make Lock create the file it points to.
func TestFileStoreLockNeverFollowsASymlink(t *testing.T) {
	dir := t.TempDir()
	s, _ := tokenrefresh.NewFileStore(filepath.Join(dir, "token.json"))
	nowhere := filepath.Join(dir, "nowhere")
	symlink(t, nowhere, s.LockPath())
	_, err := s.Lock(context.Background())
	wantSymlinkError(t, "Lock() through a dangling link", err, s.LockPath())
	if _, err := os.Lstat(nowhere); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lock() created the file the dangling link points to: %v", err)
	}

	os.WriteFile(nowhere, nil, 0o600)
	if unlock, err := s.Lock(context.Background()); err == nil {
		unlock()
		t.Error("Lock() through a link to an existing file succeeded")
	} else {
		wantSymlinkError(t, "Lock() through a link", err, s.LockPath())
	}
}

// Another process, alive and hung, holds the token file's lock: New
// returns once its context ends (starting from the token it was given),
// callers of the still valid token never wait while the loop waits for
// the lock, and Close ends that wait at once.
func TestFileLockHeldByAHungProcessHoldsNobody(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	locktest.StartHolder(t, helper("hold", path), waitLimit)
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	src := newSource(expiring(clk, time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{Refresh: src.refresh, Store: store, Clock: clk, Jitter: -1,
		Initial:        secret.New(&oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Hour)}),
		AttemptTimeout: time.Hour, CloseGrace: time.Hour})
	if err != nil {
		t.Fatalf("New() with the lock held by a hung process = %v; want the given token, unsaved", err)
	}
	staleCallers(t, r, 50) // fresh
	clk.Advance(59 * time.Minute)
	staleCallers(t, r, 200) // due: the loop waits for the lock meanwhile
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	await(t, closed, "Close() while the loop waits for a lock a hung process holds")
	if n := src.Calls(); n != 0 {
		t.Errorf("refresh called %d times without the lock; want 0", n)
	}
}
