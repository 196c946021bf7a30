package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/server"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// listeners are where serve serves: a TCP port, guarded by the key, and
// a Unix socket, guarded by its permissions.
type listeners struct {
	tcp    net.Listener // nil if none
	unix   net.Listener // nil if none
	socket string       // the Unix socket's path, removed by close; "" if none
}

// openListeners opens the socket and the TCP address of s, and reads (or
// creates) the key. A TCP address that is not loopback is refused unless
// allowRemote.
func openListeners(s config.Server, allowRemote bool, log *slog.Logger) (*listeners, []byte, error) {
	out := &listeners{}
	var key []byte
	if s.Listen != "" {
		if err := checkListen(s.Listen, allowRemote, log); err != nil {
			return nil, nil, err
		}
		k, err := readOrCreateKey(s.KeyFile, log)
		if err != nil {
			return nil, nil, err
		}
		key = k
		l, err := net.Listen("tcp", s.Listen)
		if err != nil {
			return nil, nil, err
		}
		out.tcp = l
		log.Info("serving on TCP; callers send the key from the key file in the Bearer-Proxy-Key header", "listen", l.Addr().String(), "key_file", s.KeyFile)
	}
	if s.Socket != "" {
		l, err := listenUnix(s.Socket, fs.FileMode(s.Mode()))
		if err != nil {
			out.close()
			return nil, nil, err
		}
		out.unix, out.socket = l, s.Socket
		log.Info("serving on a Unix socket", "socket", s.Socket, "mode", fmt.Sprintf("%04o", s.Mode()))
	}
	return out, key, nil
}

// checkListen refuses a TCP address that is not loopback, unless
// allowRemote: then it says loudly that the tokens go to the network.
func checkListen(addr string, allowRemote bool, log *slog.Logger) error {
	if config.IsLoopback(addr) {
		return nil
	}
	if !allowRemote {
		return fmt.Errorf("listen %s is not a loopback address: the tokens would be served to the network; use 127.0.0.1:PORT, or pass -allow-remote if you mean it", addr)
	}
	log.Error("SERVING TOKENS TO THE NETWORK: -allow-remote is set and the listen address is not loopback; anyone who can reach it and holds the key gets the tokens",
		"listen", addr)
	return nil
}

// listenUnix listens on a Unix socket at path with mode. A socket left by
// a serve that died is removed; one that answers is another serve's.
// The socket is created under a umask that lets no one else in, then
// given mode, so it is never open to others even for a moment.
func listenUnix(path string, mode fs.FileMode) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("socket %s exists and is not a socket: remove it or choose another path", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s: another bearer serve is running there", path)
		}
		os.Remove(path)
	}
	l, err := listenUnixPrivate(path)
	if err != nil {
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, mode); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// keyBytes is the size of a generated key: 256 bits.
const keyBytes = 32

// readOrCreateKey reads the key in path, refusing a file others may read,
// or creates one, mode 0600.
func readOrCreateKey(path string, log *slog.Logger) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		var b [keyBytes]byte
		rand.Read(b[:])
		key := []byte(hex.EncodeToString(b[:]))
		if err := tokenrefresh.WriteFileAtomic(path, append(key, '\n')); err != nil {
			return nil, fmt.Errorf("create the key file: %w", err)
		}
		log.Info("created the key file", "key_file", path)
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the key file: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s has mode %04o: others may read it; chmod 600 it", path, fi.Mode().Perm())
	}
	key := []byte(strings.TrimSpace(string(data)))
	if len(key) < 16 {
		return nil, fmt.Errorf("key file %s holds fewer than 16 characters: delete it and serve creates a strong one", path)
	}
	return key, nil
}

// serve serves h on every listener, with the key on TCP, and returns
// the function that shuts them down: requests in flight get grace to
// finish, then their connections are closed.
func (l *listeners) serve(h *server.Server, key []byte, log *slog.Logger) (shutdown func(grace time.Duration)) {
	var srvs []*http.Server
	var wg sync.WaitGroup
	for _, p := range []struct {
		ln  net.Listener
		key []byte
	}{{l.tcp, key}, {l.unix, nil}} {
		if p.ln == nil {
			continue
		}
		srv := &http.Server{Handler: h.Handler(p.key), ReadHeaderTimeout: readHeaderTimeout,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		srvs = append(srvs, srv)
		wg.Go(func() { srv.Serve(p.ln) })
	}
	return func(grace time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		for _, srv := range srvs {
			if srv.Shutdown(ctx) != nil {
				srv.Close()
			}
		}
		wg.Wait()
	}
}

// close closes every listener (the servers' Shutdown does too).
func (l *listeners) close() {
	for _, ln := range []net.Listener{l.tcp, l.unix} {
		if ln != nil {
			ln.Close()
		}
	}
}
