//go:build unix

package main

import (
	"net"
	"syscall"
)

// listenUnixPrivate listens on a new Unix socket at path under a umask
// that lets no one else in.
func listenUnixPrivate(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
