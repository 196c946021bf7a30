//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"
)

// Polling bounds of [FileStore.Lock]. The lock is held for one refresh
// (a round trip to the token server, rarely more than a second), so a
// waiter that looks every 50 ms at most learns of the release within a
// twentieth of a second, and twenty waiting processes cost the kernel a
// few hundred cheap flock calls per second while it lasts.
const (
	fileLockPollMin = time.Millisecond
	fileLockPollMax = 50 * time.Millisecond
)

// LockPath returns the path of the lock file that [FileStore.Lock] uses:
// the token file's path with ".lock" appended.
func (f *FileStore) LockPath() string { return f.path + ".lock" }

// Lock takes the token file's cross-process lock: an exclusive flock(2) on
// the lock file [FileStore.LockPath], created with mode 0600 and never
// removed (removing it would let two processes lock two different files).
// It returns the function that releases the lock; calling it again does
// nothing.
//
// Lock polls, every millisecond at first and then at most every 50 ms,
// until it holds the lock or ctx is done. Each call opens the lock file
// anew, and flock locks belong to an open file, so two goroutines, or two
// FileStores on the same path in one process, exclude each other just as
// two processes do. The kernel releases the lock when its holder exits,
// even when it is killed.
//
// The lock file must be on a local file system: over NFS, Linux emulates
// flock with POSIX record locks, which do not exclude two holders within
// one process.
func (f *FileStore) Lock(ctx context.Context) (unlock func() error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tokenrefresh: lock token file: %w", err)
	}
	fh, err := os.OpenFile(f.LockPath(), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: open the lock file: %w: check the directory's permissions", err)
	}
	if err := waitFlock(ctx, fh); err != nil {
		fh.Close()
		return nil, err
	}
	var once sync.Once
	var unlockErr error
	return func() error {
		once.Do(func() {
			err := flock(fh, syscall.LOCK_UN)
			if cerr := fh.Close(); err == nil {
				err = cerr // closing releases the lock anyway
			}
			if err != nil {
				unlockErr = fmt.Errorf("tokenrefresh: release the lock on %s: %w", fh.Name(), err)
			}
		})
		return unlockErr
	}, nil
}

// waitFlock polls for an exclusive flock on fh until it has it or ctx is
// done.
func waitFlock(ctx context.Context, fh *os.File) error {
	delay := fileLockPollMin
	for {
		err := flock(fh, syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		// A non-blocking flock is not interrupted in practice; if a signal
		// does interrupt it, polling again is the retry.
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			return fmt.Errorf("tokenrefresh: lock %s: %w", fh.Name(), err)
		}
		// Equal jitter, so waiters that started together spread out.
		t := time.NewTimer(delay/2 + rand.N(delay/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("tokenrefresh: wait for the lock on %s, held by another process or goroutine: %w", fh.Name(), ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, fileLockPollMax)
	}
}

// flock applies how to fh.
func flock(fh *os.File, how int) error {
	rc, err := fh.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) { ferr = syscall.Flock(int(fd), how) })
	if err != nil {
		return err
	}
	return ferr
}
