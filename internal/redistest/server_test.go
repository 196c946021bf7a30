package redistest

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/fataltest"
)

func TestPrivateAnswersAfterEachStart(t *testing.T) {
	s := Private(t)
	if err := Ping(s.Addr, pingLimit); err != nil {
		t.Fatalf("Ping() after Private = %v", err)
	}
	s.Kill()
	if err := Ping(s.Addr, pingLimit); err == nil {
		t.Fatal("Ping() after Kill answered")
	}
	s.Start()
	if err := Ping(s.Addr, pingLimit); err != nil {
		t.Fatalf("Ping() after a restart = %v", err)
	}
}

// A server that cannot listen exits at once: Start says so, with its log,
// rather than waiting for a ready line that never comes.
func TestStartReportsAServerThatExitsBeforeItIsReady(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH (apt-get install redis-server)")
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, port, _ := net.SplitHostPort(busy.Addr().String())
	dir := t.TempDir()
	msg := fataltest.Run(t, func(tb testing.TB) {
		s := &Server{Addr: busy.Addr().String(), t: tb, bin: bin, dir: dir, port: port}
		defer s.Stop()
		s.Start()
	})
	if !strings.Contains(msg, "exited before it accepted connections") || !strings.Contains(msg, "in use") {
		t.Errorf("Start() on a busy port failed with %q; want that it exited, and its log", msg)
	}
}
