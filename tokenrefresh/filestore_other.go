//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package tokenrefresh

import (
	"fmt"
	"os"
	"time"
)

// This file is the FileStore's side on systems without flock(2) or
// LockFileEx in the standard library (AIX, Solaris, Plan 9, WebAssembly):
// no cross-process lock, a symbolic link refused after an Lstat (a link
// swapped in between the check and the open is followed), and temporary
// files removed by age alone.

// staleTempAge is how old a temporary file must be for removeStaleTemps
// to remove it here, where no lock tells a live writer's file from a dead
// one's. A write takes milliseconds; ten minutes covers a writer stopped
// by a debugger or a suspended machine, and keeps a crashed writer's
// token on disk for ten minutes at most after the next Save.
const staleTempAge = 10 * time.Minute

func openToken(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, openFileError(path, err)
	}
	if err := checkRegular(path, fi); err != nil {
		return nil, err
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, openFileError(path, err)
	}
	return fh, nil
}

func createTemp(dir, base string) (*os.File, error) {
	fh, err := os.OpenFile(tempName(dir, base), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, tempFileError("create", err)
	}
	return fh, nil
}

func commitTemp(tmp *os.File, path string) error {
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tokenrefresh: close temporary file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tokenrefresh: replace %s: %w", path, err)
	}
	return nil
}

func removeIfStale(name string) {
	fi, err := os.Lstat(name)
	if err == nil && fi.Mode().IsRegular() && time.Since(fi.ModTime()) > staleTempAge {
		os.Remove(name)
	}
}
