//go:build !unix

package main

import "net"

// listenUnixPrivate listens on a new Unix socket at path. Windows has no
// umask: who may connect follows the access list of the socket's
// directory.
func listenUnixPrivate(path string) (net.Listener, error) {
	return net.Listen("unix", path)
}
