package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/syncbuf"
	"go.uber.org/goleak"
)

// waitLimit bounds every wait, so a broken test fails instead of hanging;
// passing tests never come near it.
const waitLimit = 60 * time.Second

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The command, built once per test binary run.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildLog  []byte
)

// binary returns the path of the bearer command, built with go build.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bearer-e2e")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "bearer")
		cmd := exec.Command("go", "build", "-o", buildPath, ".")
		buildLog, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildLog)
	}
	return buildPath
}

// logWatch keeps what a process writes and tells waiters when a line
// matching their pattern arrives.
type logWatch struct {
	syncbuf.Buffer
	mu      sync.Mutex // guards lines, waiters
	lines   []string
	partial string
	waiters []*waiter
}

type waiter struct {
	re   *regexp.Regexp
	from int // only lines from this index on
	ch   chan string
}

func (w *logWatch) Write(p []byte) (int, error) {
	w.Buffer.Write(p)
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.partial + string(p)
	parts := strings.Split(s, "\n")
	w.partial = parts[len(parts)-1]
	for _, line := range parts[:len(parts)-1] {
		w.lines = append(w.lines, line)
		w.notifyLocked(line, len(w.lines)-1)
	}
	return len(p), nil
}

func (w *logWatch) notifyLocked(line string, idx int) {
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		if idx >= wt.from && wt.re.MatchString(line) {
			wt.ch <- line
			continue
		}
		kept = append(kept, wt)
	}
	w.waiters = kept
}

// next returns a channel that receives the first line matching pattern
// written from now on (or already written, if fromStart).
func (w *logWatch) next(pattern string, fromStart bool) <-chan string {
	wt := &waiter{re: regexp.MustCompile(pattern), ch: make(chan string, 1)}
	w.mu.Lock()
	defer w.mu.Unlock()
	if fromStart {
		for _, l := range w.lines {
			if wt.re.MatchString(l) {
				wt.ch <- l
				return wt.ch
			}
		}
	} else {
		wt.from = len(w.lines)
	}
	w.waiters = append(w.waiters, wt)
	return wt.ch
}

// proc is a running bearer command.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	logs *logWatch
	out  *syncbuf.Buffer
	done chan struct{}
	err  error // set before done is closed
}

// start runs bearer with args and the extra environment, and ends it at
// the end of the test if it is still running.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, logs: &logWatch{}, out: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(t), args...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stderr, p.cmd.Stdout = p.logs, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// cleanEnv is the test's environment without the variables that steer
// bearer.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BEARER_CONFIG=") && !strings.HasPrefix(kv, "C2_TOKEN=") {
			out = append(out, kv)
		}
	}
	return out
}

// waitLog waits for a log line matching pattern (written at any time, also
// before the process ended) and returns it.
func (p *proc) waitLog(pattern string) string {
	p.t.Helper()
	ch := p.logs.next(pattern, true)
	select {
	case line := <-ch:
		return line
	case <-p.done:
		select { // everything it wrote is in: did it write the line?
		case line := <-ch:
			return line
		default:
		}
		p.t.Fatalf("bearer ended (%v) before logging %q; logs:\n%s", p.err, pattern, p.logs.String())
	case <-time.After(waitLimit):
		p.t.Fatalf("bearer did not log %q within %v; logs:\n%s", pattern, waitLimit, p.logs.String())
	}
	return ""
}

// stop sends SIGTERM and waits for the process to end; it returns how it
// ended.
func (p *proc) stop() error {
	p.t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait()
}

// wait waits for the process to end by itself.
func (p *proc) wait() error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(waitLimit):
		p.t.Fatalf("bearer did not end within %v; logs:\n%s", waitLimit, p.logs.String())
		return nil
	}
}

// listenAddr returns the TCP address serve logged.
func (p *proc) listenAddr() string {
	p.t.Helper()
	line := p.waitLog(`msg="serving on TCP`)
	m := regexp.MustCompile(`listen=(127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if m == nil {
		p.t.Fatalf("no address in %q", line)
	}
	return m[1]
}

// writeSecret writes a file readable by its owner only.
func writeSecret(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// ctxFor returns a context bounded by waitLimit, cancelled at the end of
// the test.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// readFile returns the file's content, or fails the test.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
