package redistest

import (
	"net"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

// waitLimit bounds the wait for a redis-server to answer after it starts,
// or to exit after SIGTERM; a local one does either in milliseconds.
const waitLimit = 20 * time.Second

// Server is a private redis-server process, for tests that stop and
// restart Redis. It keeps nothing on disk, so a restart loses every key,
// as a cache without persistence does. Its methods must be called from
// the test's goroutine; Kill and Stop may also be called from any other.
type Server struct {
	// Addr is the loopback host:port the server listens on, the same
	// across restarts.
	Addr string

	t    testing.TB
	bin  string
	dir  string
	port string

	mu  sync.Mutex // guards cmd
	cmd *exec.Cmd
}

// Private starts a redis-server of the test's own on a free loopback
// port, or skips t if the binary is not on PATH. The server is stopped at
// the end of the test.
func Private(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: this test starts and restarts a Redis of its own (apt-get install redis-server)")
	}
	addr := FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	s := &Server{Addr: addr, t: t, bin: bin, dir: t.TempDir(), port: port}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Start runs the server and waits until it answers; it fails the test if
// it does not within waitLimit.
func (s *Server) Start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	var out syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()
	deadline := time.Now().Add(waitLimit)
	for { // bounded polling of an external process
		err := Ping(s.Addr, 100*time.Millisecond)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.Kill()
			s.t.Fatalf("redis-server on %s never answered: %v\n%s", s.Addr, err, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it
// to exit. It does nothing if the server is not running.
func (s *Server) Kill() {
	if cmd := s.take(); cmd != nil {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// Stop shuts the server down with SIGTERM (it saves nothing, having no
// persistence) and waits for it to exit; SIGKILL after waitLimit. It does
// nothing if the server is not running.
func (s *Server) Stop() {
	cmd := s.take()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { // ends when the server exits, at the latest after the Kill below
		cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitLimit):
		cmd.Process.Kill()
		<-done
	}
}

// take returns the running process, if any, and forgets it.
func (s *Server) take() *exec.Cmd {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := s.cmd
	s.cmd = nil
	return cmd
}
