//go:build !windows

package tokenrefresh

import (
	"fmt"
	"os"
)

// checkPrivate returns an error if the token file fh, at path, is
// readable or writable by anyone but its owner.
func checkPrivate(fh *os.File, path string) error {
	fi, err := fh.Stat()
	if err != nil {
		return fmt.Errorf("tokenrefresh: stat token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("tokenrefresh: token file %s is readable by other users (mode %v): run chmod 600 on it", path, fi.Mode().Perm())
	}
	return nil
}

// syncDir makes the directory's entries, such as a rename, durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("tokenrefresh: open directory to sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("tokenrefresh: sync directory %s: %w", dir, err)
	}
	return nil
}
