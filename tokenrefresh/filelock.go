//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows

package tokenrefresh

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// Polling bounds of [FileStore.Lock]. The lock is held for one refresh
// (a round trip to the token server, rarely more than a second), so a
// waiter that looks every 50 ms at most learns of the release within a
// twentieth of a second, and twenty waiting processes cost the kernel a
// few hundred cheap lock calls per second while it lasts.
const (
	fileLockPollMin = time.Millisecond
	fileLockPollMax = 50 * time.Millisecond
)

// LockPath returns the path of the lock file that [FileStore.Lock] uses:
// the token file's path with ".lock" appended.
func (f *FileStore) LockPath() string { return f.path + ".lock" }

// Lock takes the token file's cross-process lock: an exclusive lock
// (flock(2) on Unix, LockFileEx on Windows) on the lock file
// [FileStore.LockPath], created readable only by its owner and never
// removed (removing it would let two processes lock two different files).
// A symbolic link at that path is refused, never followed. It returns the
// function that releases the lock; calling it again does nothing.
//
// Lock polls, every millisecond at first and then at most every 50 ms,
// until it holds the lock or ctx is done. Each call opens the lock file
// anew, and the lock belongs to an open file, so two goroutines, or two
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
	fh, err := openLockFile(f.LockPath())
	if err != nil {
		return nil, fmt.Errorf("%w: check the directory's permissions", err)
	}
	if err := waitLock(ctx, fh); err != nil {
		fh.Close()
		return nil, err
	}
	var once sync.Once
	var unlockErr error
	return func() error {
		once.Do(func() {
			err := unlockFile(fh)
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

// waitLock polls for an exclusive lock on fh until it has it or ctx is
// done.
func waitLock(ctx context.Context, fh *os.File) error {
	delay := fileLockPollMin
	for {
		locked, err := tryLock(fh)
		if err != nil {
			return fmt.Errorf("tokenrefresh: lock %s: %w", fh.Name(), err)
		}
		if locked {
			return nil
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
