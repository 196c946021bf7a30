package locktest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RunContenders runs procs children at once, each made by newCmd to call
// [Contend] for rounds rounds on the log file it is given, waits for them
// all, and fails t if any fails or if the log shows two critical sections
// that overlap or a count of markers other than 2*procs*rounds.
func RunContenders(t testing.TB, procs, rounds int, newCmd func(log string, rounds int) *exec.Cmd) {
	t.Helper()
	log := filepath.Join(t.TempDir(), "critical.log")
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range procs {
		cmd := newCmd(log, rounds)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	CheckLog(t, log, procs*rounds)
}

// CheckLog fails t unless the log at path holds exactly sections critical
// sections written by [Contend], each a begin marker followed at once by
// the end marker of the same process.
func CheckLog(t testing.TB, path string, sections int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2*sections {
		t.Fatalf("critical-section log has %d lines; want %d", len(lines), 2*sections)
	}
	for i := 0; i < len(lines); i += 2 {
		b, e := strings.TrimPrefix(lines[i], "begin "), strings.TrimPrefix(lines[i+1], "end ")
		if b == lines[i] || e == lines[i+1] || b != e {
			t.Fatalf("critical sections overlap at line %d: %q then %q", i+1, lines[i], lines[i+1])
		}
	}
}

// StartHolder starts cmd, a child that calls [Hold], and waits up to
// limit until it holds the lock. It returns kill, which kills the child
// with SIGKILL, so that it never releases the lock, and waits for it to
// exit. If kill is not called, the child is killed at the end of the test.
func StartHolder(t testing.TB, cmd *exec.Cmd, limit time.Duration) (kill func()) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	t.Cleanup(func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
		stdin.Close()
	})
	locked := make(chan struct{}, 1)
	go func() { // ends when the child's stdout closes, as it dies
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == LockedLine {
				locked <- struct{}{}
			}
		}
	}()
	select {
	case <-locked:
	case <-time.After(limit):
		t.Fatal("the helper process never took the lock")
	}
	return func() {
		t.Helper()
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		killed = true
	}
}
