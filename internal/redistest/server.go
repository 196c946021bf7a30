package redistest

import (
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

// waitLimit bounds the wait for a redis-server to accept connections
// after it starts, or to exit after SIGTERM; a local one does either in
// milliseconds.
const waitLimit = 20 * time.Second

// readyLine is what redis-server logs, at the notice level, once it
// accepts connections (Redis 5 to 7; 7.2 adds " tcp" after it).
const readyLine = "Ready to accept connections"

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

	mu   sync.Mutex // guards proc
	proc *process
}

// process is a running redis-server.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once it has exited and been waited for
	frozen bool          // stopped by Freeze: SIGTERM would wait for a SIGCONT
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

// Start runs the server and waits until it logs that it accepts
// connections, then checks that it answers; it fails the test if the
// server exits first, or says nothing within waitLimit.
func (s *Server) Start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--loglevel", "notice")
	out := &readyWriter{ready: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() { // ends when the server exits: at the latest, Kill or Stop
		cmd.Wait()
		close(p.exited)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	select {
	case <-out.ready:
	case <-p.exited:
		s.t.Fatalf("redis-server on %s exited before it accepted connections:\n%s", s.Addr, out.String())
	case <-time.After(waitLimit):
		s.Kill()
		s.t.Fatalf("redis-server on %s did not accept connections within %v:\n%s", s.Addr, waitLimit, out.String())
	}
	if err := Ping(s.Addr, pingLimit); err != nil {
		s.Kill()
		s.t.Fatalf("redis-server on %s accepts connections but does not answer: %v\n%s", s.Addr, err, out.String())
	}
}

// readyWriter collects the server's output and closes ready once it holds
// [readyLine]. exec calls Write from one goroutine at a time, since it is
// both the Stdout and the Stderr of the command.
type readyWriter struct {
	syncbuf.Buffer
	ready  chan struct{}
	closed bool // ready is closed; only Write touches it
}

func (w *readyWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if !w.closed && strings.Contains(w.String(), readyLine) {
		w.closed = true
		close(w.ready)
	}
	return n, err
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it
// to exit. It does nothing if the server is not running.
func (s *Server) Kill() {
	if p := s.take(); p != nil {
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// Stop shuts the server down with SIGTERM (it saves nothing, having no
// persistence) and waits for it to exit; SIGKILL after waitLimit. It does
// nothing if the server is not running.
func (s *Server) Stop() {
	p := s.take()
	if p == nil {
		return
	}
	if p.frozen {
		p.cmd.Process.Kill()
		<-p.exited
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(waitLimit):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// take returns the running process, if any, and forgets it.
func (s *Server) take() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.proc
	s.proc = nil
	return p
}
