//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh

import (
	"errors"
	"os"
	"syscall"
)

// pidSpace names the space in which this process's pid means something:
// the host's name and, on Linux, the pid namespace (containers that share
// a host name, as pods with the host's network do, have namespaces of
// their own). "" if unknown.
func pidSpace() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return ""
	}
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		return host + "/" + ns
	}
	return host
}

// processGone reports whether no process has pid, in this process's pid
// space. A process of another user is alive (EPERM); a pid reused by
// another process since counts as alive: the grace then applies.
func processGone(pid int) bool {
	return pid > 0 && errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
