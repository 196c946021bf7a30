// Package seed002 runs the login server of seed 002 ("Secure RESTful APIs
// using Python") for tests: the seed's Flask code as the seed writes it
// (server.py, its two blocks one after the other), in a python3 process of
// the test's own, over TLS with a certificate made for the test in the
// place of the seed's pubkey.pem and private.pem. Tests meet the real
// server's answers, and its restart, which forgets every session.
//
// A test that cannot run it (no python3 that imports flask) skips, saying
// to install Debian's python3-flask, which .ci/run does.
//
// Usage:
//
//	srv := seed002.Start(t)               // stopped at the end of the test
//	c, _ := login.NewSessionClient(srv.URL, cfg,
//		login.WithBearerOptions(bearer.WithTrustedPEM(srv.CertPEM)))
//	srv.Restart()                         // killed by its pid, started again on its port
//	n := srv.Requests(t, "POST", "/login") // from the server's own access log
package seed002

import (
	"bufio"
	"context"
	"embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/login/sessiontest"
)

//go:embed server.py run.py
var files embed.FS

// PythonEnv names an interpreter to use before python3 on the PATH and
// Debian's /usr/bin/python3.
const PythonEnv = "BEARER_PYTHON"

// startLimit bounds the wait for the server to listen: Flask starts in
// well under a second; on a loaded CI machine importing it may take a few.
const startLimit = 30 * time.Second

// Server is one seed-002 server process, restarted in place by
// [Server.Restart]. Its methods are for the goroutine of its test.
type Server struct {
	URL     string // https://127.0.0.1:PORT, the same across restarts
	CertPEM []byte // the certificate the server presents, to trust with bearer.WithTrustedPEM

	t    testing.TB
	py   string // the interpreter
	dir  string // the server's working directory: the code and the key pair
	port string

	cmd    *exec.Cmd
	logs   chan string   // the running process's access-log lines, in order
	done   chan struct{} // closed when the running process's log has been read to its end
	others []string      // the running process's other log lines; read only after done

	counts map[string]int // requests in the access logs read so far, by "METHOD /path"
}

// Start runs the server on a free loopback port and stops it when the test
// ends. It skips t when no python3 can import flask.
func Start(t testing.TB) *Server {
	t.Helper()
	py := python(t)
	certPEM, keyPEM, _, err := sessiontest.SelfSignedCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string][]byte{"pubkey.pem": certPEM, "private.pem": keyPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"server.py", "run.py"} {
		data, _ := files.ReadFile(name)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{CertPEM: certPEM, t: t, py: py, dir: dir, port: "0", counts: map[string]int{}}
	s.start()
	s.URL = "https://127.0.0.1:" + s.port
	t.Cleanup(s.kill)
	return s
}

// python returns an interpreter that imports flask, or skips t.
func python(t testing.TB) string {
	t.Helper()
	for _, py := range []string{os.Getenv(PythonEnv), "python3", "/usr/bin/python3"} {
		if py == "" {
			continue
		}
		if exec.Command(py, "-c", "import flask").Run() == nil {
			return py
		}
	}
	t.Skipf("no python3 that can import flask to run seed 002's server: install Debian's python3-flask (apt-get install -y python3-flask; .ci/run does), or set %s", PythonEnv)
	return ""
}

// running matches the line the development server logs once it listens.
var running = regexp.MustCompile(`Running on https://127\.0\.0\.1:(\d+)`)

// start runs a process on s.port (0 the first time) and waits until it
// listens; s.port is then its port.
func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(s.py, "run.py", s.port)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start seed 002's server: %v", err)
	}
	s.cmd = cmd
	ready := make(chan string, 1)
	s.logs, s.done, s.others = make(chan string, 1024), make(chan struct{}), nil
	go s.read(stderr, ready)
	select {
	case port := <-ready:
		s.port = port
	case <-s.done:
		cmd.Wait()
		s.cmd = nil
		s.t.Fatalf("seed 002's server exited before it listened:\n%s", strings.Join(s.others, "\n"))
	case <-time.After(startLimit):
		s.kill()
		s.t.Fatalf("seed 002's server did not listen within %v", startLimit)
	}
}

// read passes the process's log to s.logs: the port once it listens, then
// each access-log line. It ends with the process.
func (s *Server) read(r io.Reader, ready chan<- string) {
	defer close(s.done)
	defer close(s.logs)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if m := running.FindStringSubmatch(line); m != nil {
			ready <- m[1]
			continue
		}
		if strings.Contains(line, `" `) && strings.Contains(line, ` HTTP/1.`) {
			s.logs <- line
		} else {
			s.others = append(s.others, line)
		}
	}
}

// Restart kills the server's process by its pid, as a crash would, and
// starts it again on the same port: a server that has forgotten every
// session.
func (s *Server) Restart() {
	s.t.Helper()
	s.kill()
	s.start()
}

// kill ends the running process by its pid, counts the rest of its
// access log, and waits for it.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	for line := range s.logs { // closed when the log is read to its end
		s.count(line)
	}
	s.cmd.Wait()
	s.cmd = nil
}

// request matches an access-log line: "GET /get-info HTTP/1.1" 403 -.
var request = regexp.MustCompile(`"([A-Z]+) (\S+) HTTP/1\.[01]" (\d{3})`)

func (s *Server) count(line string) {
	if m := request.FindStringSubmatch(line); m != nil {
		s.counts[m[1]+" "+m[2]]++
	}
}

// syncPath is a path the server does not have: a request for it marks the
// end of what a test has sent.
const syncPath = "/bearer-test-sync"

// Requests returns how many method path requests the server has answered
// since Start, across restarts, from its own access log. It first sends a
// request of its own and waits for its line: the server logs a request as
// it answers it, so every request answered before is counted.
func (s *Server) Requests(t testing.TB, method, path string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startLimit)
	defer cancel()
	if err := s.ping(ctx); err != nil {
		t.Fatalf("seed 002's server: %v", err)
	}
	for {
		select {
		case line, ok := <-s.logs:
			if !ok {
				t.Fatal("seed 002's server exited")
			}
			if strings.Contains(line, syncPath) {
				return s.counts[method+" "+path]
			}
			s.count(line)
		case <-ctx.Done():
			t.Fatalf("seed 002's server did not log its answer to %s", syncPath)
		}
	}
}

// ping sends GET syncPath, which the server answers 404, trusting only
// its certificate.
func (s *Server) ping(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+syncPath, nil)
	if err != nil {
		return err
	}
	hc, err := Client(s.CertPEM)
	if err != nil {
		return err
	}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("GET %s = %s; want 404", syncPath, resp.Status)
	}
	return nil
}
