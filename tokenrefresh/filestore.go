package tokenrefresh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxFileSize bounds what FileStore reads: a token file is a few hundred
// bytes; anything near this size is not one of ours.
const maxFileSize = 1 << 20

// tempMarker joins a file's name and a random suffix in the names of its
// temporary files: ".token.json.tmp-" and 16 hex digits for token.json.
// The leading dot hides them from ls; the name says whose they are.
const tempMarker = ".tmp-"

// tempAttempts bounds how often WriteFileAtomic starts over with a new
// temporary file when a cleaner in another process removed its file, in
// the instant between its creation and its lock (see createTemp), or, on
// Windows, between its close and its rename. Each is a window of
// microseconds; three in a row mean something else removes our files.
const tempAttempts = 3

// FileStore keeps the entry in a JSON file readable only by its owner
// (mode 0600 on Unix, an access list that grants only the owner on
// Windows). Every Save writes a temporary file in the same directory,
// syncs it, renames it over the old one and syncs the directory, so a crash
// leaves either the old token or the new one, never a torn file; the next
// Save removes temporary files that crashed writers left behind. A record
// of a newer format (see [FormatError]) is refused, and so is a symbolic
// link at the token file's path or at its lock's: FileStore never follows
// one.
//
// Several processes on one host can share a FileStore's file: on Linux,
// macOS, the BSDs and Windows it is a [Locker], through a lock file beside
// the token file (see [FileStore.Lock]), and on every system a [Watcher]
// that polls the file (see [FileStore.Watch]). A FileStore is safe for
// concurrent use.
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
// a [*FormatError] (wrapped) if a newer version of bearer wrote it, and an
// error naming the file if it is a symbolic link, is readable by others,
// or is not a token record.
func (f *FileStore) Load(ctx context.Context) (*Entry, error) {
	fh, err := openToken(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoToken
	}
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	if err := checkPrivate(fh, f.path); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: read token file: %w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("tokenrefresh: token file %s is larger than %d bytes: it is not a token file", f.path, maxFileSize)
	}
	var e Entry
	err = e.UnmarshalBinary(data)
	if fe := (*FormatError)(nil); errors.As(err, &fe) {
		return nil, fmt.Errorf("tokenrefresh: token file %s: %w", f.path, fe)
	}
	if err != nil {
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

// WriteFileAtomic writes data to path, readable only by its owner, through
// a synced temporary file in the same directory and a rename, then syncs
// the directory (except on Windows, which cannot), so readers see the old
// content or the new, never a mix. It refuses to replace a symbolic link
// or anything but a regular file. Then it removes the temporary files of
// path that writers killed before their rename left behind (see
// removeStaleTemps); a failure to remove one is not an error.
func WriteFileAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if err := checkReplaceable(path); err != nil {
		return err
	}
	var err error
	for range tempAttempts {
		if err = writeTemp(dir, base, path, data); !errors.Is(err, errTempGone) {
			break
		}
	}
	if err != nil {
		return err
	}
	removeStaleTemps(dir, base)
	return syncDir(dir)
}

// errTempGone reports that a writer's temporary file was removed by
// another process's cleanup before it was renamed into place.
var errTempGone = errors.New("tokenrefresh: the temporary file was removed by another process's cleanup before it could be renamed")

// writeTemp writes data to a new temporary file beside path and renames it
// over path. On failure it removes the temporary file.
func writeTemp(dir, base, path string, data []byte) error {
	tmp, err := createTemp(dir, base)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return tempFileError("write", err)
	}
	if err := tmp.Sync(); err != nil {
		return tempFileError("sync", err)
	}
	if err := commitTemp(tmp, path); err != nil {
		return err
	}
	committed = true
	return nil
}

// tempName returns a new name for a temporary file of base in dir: 64
// random bits, so that writers in several processes never pick the same.
func tempName(dir, base string) string {
	var b [8]byte
	rand.Read(b[:])
	return filepath.Join(dir, "."+base+tempMarker+hex.EncodeToString(b[:]))
}

// isTempName reports whether name is one of base's temporary files: its
// prefix, then hex digits (or decimal ones: earlier versions named them
// with os.CreateTemp, and left them behind too).
func isTempName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, "."+base+tempMarker)
	return ok && rest != "" && strings.Trim(rest, "0123456789abcdef") == ""
}

// removeStaleTemps removes the temporary files of base in dir that no
// writer uses any more: those of a writer killed between creating its
// file and renaming it into place, each holding a whole token.
//
// The rule that makes this safe with writers in other processes: a
// writer holds its temporary file locked (an exclusive flock(2) on Unix;
// on Windows, a handle that shares it with nobody) from the moment it has
// it until it has renamed it, and the kernel drops that lock when the
// writer dies, however it dies. A temporary file that the cleaner can
// lock, and that still has the name it was found under, has no live
// writer: removing it cannot disturb one. A writer that loses its file to
// a cleaner in the instant before it locks it notices, and starts over
// with a new one (see createTemp). Files that only look like ours (a
// symbolic link, a directory) are left alone.
func removeStaleTemps(dir, base string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, name := range names {
		if isTempName(name, base) {
			removeIfStale(filepath.Join(dir, name))
		}
	}
}

// checkReplaceable returns an error if path exists and is a symbolic link
// or not a regular file: a Save must not replace it. A link put in place
// after the check is replaced, not followed: rename(2) never follows one.
func checkReplaceable(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil // missing: created; unreadable: the rename reports it
	}
	return checkRegular(path, fi)
}

// checkRegular returns an error naming path unless fi, which describes
// it, is a regular file.
func checkRegular(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return symlinkError(path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("tokenrefresh: %s is not a regular file (%v): remove it, or give the store another path", path, fi.Mode().Type())
	}
	return nil
}

// symlinkError is the error for a symbolic link found where a token file,
// or its lock file, should be.
func symlinkError(path string) error {
	return fmt.Errorf("tokenrefresh: %s is a symbolic link, and bearer never follows one to a token or lock file: remove the link, and give the store the real path", path)
}

// tempFileError wraps an error from the op (create, write, sync) of a
// temporary file beside the token file, saying what to do: the token is
// kept in memory meanwhile, and saved once the directory takes it.
func tempFileError(op string, err error) error {
	return fmt.Errorf("tokenrefresh: %s a temporary file beside the token file: %w: check the directory's permissions and its disk's free space", op, err)
}

// openFileError wraps an error from opening path, keeping its chain (so
// errors.Is(err, fs.ErrNotExist) still holds).
func openFileError(path string, err error) error {
	return fmt.Errorf("tokenrefresh: open %s: %w", path, err)
}
