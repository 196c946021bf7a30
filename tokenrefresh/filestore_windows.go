//go:build windows

package tokenrefresh

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// This file is the FileStore's Windows side. Windows has no mode bits
// worth checking (Go reports 0666 or 0444 from the read-only attribute),
// no O_NOFOLLOW and no directory fsync; it has access control lists,
// FILE_FLAG_OPEN_REPARSE_POINT, share modes and LockFileEx, from
// golang.org/x/sys/windows.

// shareAll lets other handles read, write, rename and delete a file we
// hold open, so that a reader never makes another process's Save fail.
const shareAll = windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE

// openToken opens the token file at path for reading; it never follows a
// symbolic link or junction there, and refuses anything but a regular
// file.
func openToken(path string) (*os.File, error) {
	return openNoFollow(path, windows.GENERIC_READ, shareAll, windows.OPEN_EXISTING, nil)
}

// openLockFile opens, creating it readable only by its owner if need be,
// the lock file at path. A symbolic link there is refused, dangling or
// not.
func openLockFile(path string) (*os.File, error) {
	sa, err := ownerOnly()
	if err != nil {
		return nil, err
	}
	return openNoFollow(path, windows.GENERIC_READ|windows.GENERIC_WRITE, shareAll, windows.OPEN_ALWAYS, sa)
}

// openNoFollow opens path with FILE_FLAG_OPEN_REPARSE_POINT, which opens a
// link itself rather than what it points to, and checks that it opened a
// regular file.
func openNoFollow(path string, access, share, create uint32, sa *windows.SecurityAttributes) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, openFileError(path, err)
	}
	h, err := windows.CreateFile(p, access, share, sa, create, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, openFileError(path, err)
	}
	fh := os.NewFile(uintptr(h), path)
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

// ownerOnly returns security attributes whose access list is protected
// from inheritance and grants full access to the current user alone: the
// Windows form of mode 0600.
func ownerOnly() (*windows.SecurityAttributes, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: find the current user to make a private file: %w", err)
	}
	sd, err := windows.SecurityDescriptorFromString("D:P(A;;FA;;;" + u.User.Sid.String() + ")")
	if err != nil {
		return nil, fmt.Errorf("tokenrefresh: build a private access list: %w", err)
	}
	return &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}, nil
}

// broadGroups are the principals that stand for other users: a token
// file whose access list lets one of them read it is refused.
var broadGroups = []struct {
	sid  windows.WELL_KNOWN_SID_TYPE
	name string
}{
	{windows.WinWorldSid, "Everyone"},
	{windows.WinAnonymousSid, "ANONYMOUS LOGON"},
	{windows.WinAuthenticatedUserSid, "Authenticated Users"},
	{windows.WinBuiltinUsersSid, "Users"},
	{windows.WinBuiltinGuestsSid, "Guests"},
}

// readAccess is any right that includes reading a file's content.
const readAccess = windows.FILE_READ_DATA | windows.GENERIC_READ | windows.GENERIC_ALL

// checkPrivate returns an error if the access list of the token file fh,
// at path, lets other users read it: it is missing (everyone may), or it
// grants read access to a group that stands for other users.
func checkPrivate(fh *os.File, path string) error {
	sd, err := windows.GetSecurityInfo(windows.Handle(fh.Fd()), windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("tokenrefresh: read the access list of token file %s: %w", path, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("tokenrefresh: read the access list of token file %s: %w", path, err)
	}
	who := ""
	if dacl == nil {
		who = "everyone (it has no access list)"
	}
	for i := 0; dacl != nil && i < int(dacl.AceCount) && who == ""; i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if windows.GetAce(dacl, uint32(i), &ace) != nil || ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Mask&readAccess == 0 {
			continue
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		for _, g := range broadGroups {
			if sid.IsWellKnown(g.sid) {
				who = g.name
			}
		}
	}
	if who != "" {
		return fmt.Errorf(`tokenrefresh: token file %s is readable by %s: run icacls "%s" /inheritance:r /grant:r "%%USERNAME%%:F"`, path, who, path)
	}
	return nil
}

// createTemp creates a new temporary file of base in dir, with an access
// list for its owner alone, and a share mode of none: until it is closed,
// no other handle can open it, and so no cleaner can remove it (see
// removeStaleTemps). CREATE_NEW makes sure it is new, and never a link.
func createTemp(dir, base string) (*os.File, error) {
	sa, err := ownerOnly()
	if err != nil {
		return nil, err
	}
	for range tempAttempts {
		name := tempName(dir, base)
		p, err := windows.UTF16PtrFromString(name)
		if err != nil {
			return nil, openFileError(name, err)
		}
		h, err := windows.CreateFile(p, windows.GENERIC_WRITE|windows.DELETE, 0, sa, windows.CREATE_NEW, windows.FILE_ATTRIBUTE_NORMAL, 0)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, tempFileError("create", err)
		}
		return os.NewFile(uintptr(h), name), nil
	}
	return nil, errTempGone
}

// commitTemp closes the temporary file tmp, then renames it over path:
// Windows renames no file that a handle without FILE_SHARE_DELETE holds
// open. A cleaner that removes the file in between makes the rename fail
// with errTempGone, and WriteFileAtomic starts over.
func commitTemp(tmp *os.File, path string) error {
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tokenrefresh: close temporary file: %w", err)
	}
	err := os.Rename(tmp.Name(), path)
	if errors.Is(err, fs.ErrNotExist) {
		return errTempGone
	}
	if err != nil {
		return fmt.Errorf("tokenrefresh: replace %s: %w", path, err)
	}
	return nil
}

// removeIfStale removes the temporary file at name unless a live writer
// holds it open: Windows refuses to delete a file that a handle without
// FILE_SHARE_DELETE holds, and closes the handles of a process that dies.
// DeleteFile removes a link, never what it points to.
func removeIfStale(name string) {
	fi, err := os.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	os.Remove(name)
}

// syncDir does nothing: Windows cannot open a directory for flushing, and
// NTFS journals a rename with its metadata.
func syncDir(dir string) error { return nil }

// wholeFile is the byte range LockFileEx locks: all of it, and beyond.
const wholeFile = ^uint32(0)

// tryLock takes an exclusive lock on fh without waiting, and reports
// whether it did.
func tryLock(fh *os.File) (bool, error) {
	var ol windows.Overlapped
	err := windows.LockFileEx(windows.Handle(fh.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, wholeFile, wholeFile, &ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return false, nil
	}
	return false, err
}

// unlockFile releases the lock tryLock took.
func unlockFile(fh *os.File) error {
	var ol windows.Overlapped
	return windows.UnlockFileEx(windows.Handle(fh.Fd()), 0, wholeFile, wholeFile, &ol)
}
