package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// fileWatchInterval is how often [FileStore.Watch] looks at the token
// file. A process on the same host adopts a token another one rotated
// within a tenth of a second, for the cost of ten stat(2) calls a second;
// a follower that misses it still adopts the token when its own refresh
// comes due. It is short so that a follower waiting for the lock at the
// rotation (see [Config.Fence]) adopts the new token as soon as it is
// saved, rather than once it takes the lock in turn.
const fileWatchInterval = 100 * time.Millisecond

// Watch reports, until ctx is done, every change of the token file: it
// compares the file's identity, size and modification time every 100 ms
// (a Save renames a new file into place, so every Save is seen). It
// implements [Watcher]; a Refresher calls it, and ends it on Close.
//
// It calls notify(nil) once at the start, notify(err) while the file
// cannot be examined (other than because it does not exist), and
// notify(nil) once it can again.
func (f *FileStore) Watch(ctx context.Context, notify func(err error)) error {
	prev, failing := f.stat()
	// A change between the caller's last Load and the stat above would
	// go unseen: report one, as the Watcher contract asks on contact.
	notify(failing)
	t := time.NewTicker(fileWatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		cur, err := f.stat()
		switch {
		case err != nil:
			notify(err)
			failing = err
			continue
		case failing != nil, fileChanged(prev, cur):
			notify(nil)
		}
		prev, failing = cur, nil
	}
}

// stat returns the token file's information, not following a symbolic
// link (Load refuses one): nil and no error if it does not exist.
func (f *FileStore) stat() (fs.FileInfo, error) {
	fi, err := os.Lstat(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: watch the token file: %w: check its directory's permissions", err)
	}
	return fi, nil
}

// fileChanged reports whether the file described by cur is not the one
// described by prev (nil stands for no file).
func fileChanged(prev, cur fs.FileInfo) bool {
	if prev == nil || cur == nil {
		return prev != cur
	}
	return !os.SameFile(prev, cur) || prev.Size() != cur.Size() || !prev.ModTime().Equal(cur.ModTime())
}
