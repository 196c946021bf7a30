// Package locktest checks that a lock excludes real processes: several
// copies of the test binary take it in turn and log begin and end
// markers around their critical sections, or one holds it until it is
// killed.
//
// The child side cannot live here: each test binary must dispatch its own
// child mode, in a TestHelperProcess that builds its lock from the
// environment and calls [Contend] or [Hold]. The parent builds the
// commands with [Command] and runs them with [RunContenders] or
// [StartHolder].
//
// Usage, in the parent:
//
//	locktest.RunContenders(t, 8, 25, func(log string, rounds int) *exec.Cmd {
//		return locktest.Command("MY_HELPER=contend", "MY_LOG="+log, "MY_ROUNDS="+strconv.Itoa(rounds))
//	})
package locktest

import (
	"context"
	"os"
	"os/exec"
)

// LockedLine is the line [Hold] prints once it holds the lock.
const LockedLine = "locked"

// Locker is a lock shared across processes: Lock blocks until it holds
// the lock or ctx is done, and returns the function that releases it.
type Locker interface {
	Lock(ctx context.Context) (unlock func() error, err error)
}

// Command returns a command that runs the current test binary's
// TestHelperProcess, with env added to this process's environment.
func Command(env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}
