package tokenrefresh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxFileSize bounds what FileStore reads: a token file is a few hundred
// bytes; anything near this size is not one of ours.
const maxFileSize = 1 << 20

// FileStore keeps the entry in a JSON file readable only by its owner
// (mode 0600). Every Save writes a temporary file in the same directory,
// syncs it, renames it over the old one and syncs the directory, so a crash
// leaves either the old token or the new one, never a torn file.
//
// Several processes on one host can share a FileStore's file: on Linux,
// macOS and the BSDs it is a [Locker], through a lock file beside the token
// file (see [FileStore.Lock]), and on every system a [Watcher] that polls
// the file (see [FileStore.Watch]). A FileStore is safe for concurrent use.
type FileStore struct {
	path string
}

// NewFileStore returns a store for the file at path. The file need not
// exist; its directory must.
func NewFileStore(path string) (*FileStore, error) {
	if path == "" {
		return nil, errors.New("tokenrefresh: file store needs a path")
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("tokenrefresh: directory %s for the token file does not exist: create it first", dir)
	}
	return &FileStore{path: path}, nil
}

// Path returns the file's path.
func (f *FileStore) Path() string { return f.path }

// Load reads the entry. It returns ErrNoToken if the file does not exist,
// and an error naming the file if it is readable by others or unreadable.
func (f *FileStore) Load(ctx context.Context) (*Entry, error) {
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: open token file: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: stat token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("tokenrefresh: token file %s is readable by other users (mode %v): run chmod 600 on it", f.path, fi.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: read token file: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("tokenrefresh: token file %s is larger than %d bytes: it is not a token file", f.path, maxFileSize)
	}
	var e Entry
	if err := e.UnmarshalBinary(data); err != nil {
		// The decoding error never quotes the file; do not wrap it all the same.
		return nil, fmt.Errorf("tokenrefresh: token file %s is not a valid token record: move it aside to start a new lineage", f.path)
	}
	return &e, nil
}

// Save writes e atomically and durably.
func (f *FileStore) Save(ctx context.Context, e *Entry) error {
	if e == nil || e.Token.IsZero() {
		return errors.New("tokenrefresh: file store cannot save an empty entry")
	}
	data, err := e.MarshalBinary()
	if err != nil {
		return fmt.Errorf("tokenrefresh: encode token record: %w", err)
	}
	return WriteFileAtomic(f.path, data)
}

// WriteFileAtomic writes data to path with mode 0600 through a synced
// temporary file in the same directory and a rename, then syncs the
// directory, so readers see the old content or the new, never a mix.
func WriteFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("tokenrefresh: create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("tokenrefresh: chmod temporary file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("tokenrefresh: write temporary file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("tokenrefresh: sync temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tokenrefresh: close temporary file: %w", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("tokenrefresh: replace %s: %w", path, err)
	}
	ok = true
	return syncDir(dir)
}

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
