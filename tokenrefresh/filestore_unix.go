//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// This file is the FileStore's Unix side: files opened with O_NOFOLLOW,
// permissions read from the mode bits, locks taken with flock(2).

// openToken opens the token file at path for reading; it never follows a
// symbolic link there, and refuses anything but a regular file.
func openToken(path string) (*os.File, error) {
	return openNoFollow(path, os.O_RDONLY, 0)
}

// openLockFile opens, creating it with mode 0600 if need be, the lock file
// at path. A symbolic link there is refused, dangling or not: O_CREAT alone
// would create the file it points to.
func openLockFile(path string) (*os.File, error) {
	return openNoFollow(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// openNoFollow opens path with O_NOFOLLOW, so a symbolic link there is an
// error (ELOOP on Linux, another errno elsewhere: the link is seen with
// Lstat), and checks that it opened a regular file.
func openNoFollow(path string, flag int, perm fs.FileMode) (*os.File, error) {
	fh, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, symlinkError(path)
		}
		return nil, openFileError(path, err)
	}
	fi, err := fh.Stat()
	if err == nil {
		err = checkRegular(path, fi)
	}
	if err != nil {
		fh.Close()
		return nil, err
	}
	return fh, nil
}

// createTemp creates a new temporary file of base in dir, mode 0600, and
// returns it locked, for writing. O_EXCL makes sure it is new (and never
// a link). A cleaner may find the file in the instant between its
// creation and its lock, lock it and remove it: the lock then fails, or
// the file has lost its name once locked, and createTemp starts over.
func createTemp(dir, base string) (*os.File, error) {
	for range tempAttempts {
		name := tempName(dir, base)
		fh, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return nil, tempFileError("create", err)
		}
		if locked, err := tryLock(fh); err == nil && locked && stillNamed(fh, name) {
			return fh, nil
		}
		fh.Close()
	}
	return nil, errTempGone
}

// stillNamed reports whether name still names the file fh.
func stillNamed(fh *os.File, name string) bool {
	fi, err := fh.Stat()
	if err != nil {
		return false
	}
	cur, err := os.Lstat(name)
	return err == nil && os.SameFile(fi, cur)
}

// commitTemp renames the temporary file tmp over path, then closes it,
// which releases its lock: a cleaner never sees it unlocked under its
// temporary name.
func commitTemp(tmp *os.File, path string) error {
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tokenrefresh: replace %s: %w", path, err)
	}
	tmp.Close() // synced and renamed: nothing is left to fail
	return nil
}

// removeIfStale removes the temporary file at name if no writer holds its
// lock (see removeStaleTemps). O_NONBLOCK keeps a FIFO that only looks
// like ours from blocking the open.
func removeIfStale(name string) {
	fh, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return // gone already, a link, or not ours to open
	}
	defer fh.Close() // after the removal: the lock is held until then
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	if locked, err := tryLock(fh); err != nil || !locked {
		return // a live writer's
	}
	if stillNamed(fh, name) {
		os.Remove(name)
	}
}

// tryLock takes an exclusive flock on fh without waiting, and reports
// whether it did. A non-blocking flock is not interrupted in practice; if
// a signal does interrupt it, it reports false, and the caller's next
// attempt is the retry.
func tryLock(fh *os.File) (bool, error) {
	err := flock(fh, syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		return false, nil
	}
	return false, err
}

// unlockFile releases the lock tryLock took.
func unlockFile(fh *os.File) error { return flock(fh, syscall.LOCK_UN) }

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
