package fleettest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// fileSpecPrefix starts the spec of a FileStore, followed by its path.
const fileSpecPrefix = "file:"

// A StoreOpener opens, in a member's process, the store that spec names
// (the spec a scenario was given), and returns the function that
// releases it once the member's client is closed. Specs made by
// [FileSpec] never reach it: the members open those themselves.
type StoreOpener func(spec string) (tokenrefresh.Store, func(), error)

// RunIfMember is the start of the TestMain of a package of fleet
// scenarios. In a process that a scenario started as a member of its
// fleet, it runs that member, with the store open opens (nil if the
// package uses only [FileSpec]), and exits; otherwise it returns, and
// TestMain runs the tests.
func RunIfMember(open StoreOpener) {
	if isChild() {
		os.Exit(runChild(open))
	}
}

// FileSpec returns the spec of a tokenrefresh.FileStore in a new
// directory of t's.
func FileSpec(t *testing.T) string {
	return fileSpecPrefix + filepath.Join(t.TempDir(), "c2-token.json")
}
