package config

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/bearer-go/bearer/internal/httpx"
)

// Socket modes serve accepts: the owner only, or the owner and its group.
const (
	SocketOwner = 0o600
	SocketGroup = 0o660
)

func (s *Server) validate() error {
	switch s.SocketMode {
	case "", "0600", "600", "0660", "660":
	default:
		return fmt.Errorf("config: [server] socket_mode %q: use 0600 (the owner only) or 0660 (and its group); a socket others may use would hand them the tokens", s.SocketMode)
	}
	switch s.LogFormat {
	case "", "text", "json":
	default:
		return fmt.Errorf("config: [server] log_format %q: use text or json", s.LogFormat)
	}
	if s.Listen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(s.Listen); err != nil {
		return fmt.Errorf("config: [server] listen %q is not host:port, such as 127.0.0.1:8181", s.Listen)
	}
	if s.KeyFile == "" {
		return errors.New("config: [server] listen needs key_file: callers prove themselves with the key it holds (a TCP port is open to every local user)")
	}
	return nil
}

// Mode returns the socket's permission bits.
func (s *Server) Mode() uint32 {
	if strings.HasSuffix(s.SocketMode, "660") {
		return SocketGroup
	}
	return SocketOwner
}

// IsLoopback reports whether the host of the listen address hostport is a
// loopback address: 127.0.0.0/8, ::1 or localhost. An empty host (all
// interfaces) is not.
func IsLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	// A listener bound to a name binds the addresses the name resolves
	// to here: "localhost" is trusted for that, as it cannot make this
	// machine listen on another's address.
	return strings.EqualFold(host, "localhost") || httpx.IsLoopbackIP(host)
}
