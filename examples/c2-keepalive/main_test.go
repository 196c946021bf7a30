package main

import (
	"context"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakec2"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"go.uber.org/goleak"
)

// waitLimit bounds every wait, so a broken test fails instead of hanging.
const waitLimit = 20 * time.Second

// TestMain checks that no goroutine outlives a test. Re-executed with
// C2KEEPALIVE_MAIN=1, the test binary is the command itself, for tests
// that send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("C2KEEPALIVE_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

func runFor(t *testing.T, args []string, env map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var logs syncbuf.Buffer
	err := run(ctx, args, func(k string) string { return env[k] }, &logs)
	if ctx.Err() != nil {
		t.Fatalf("run(%q) did not return within %v; logs:\n%s", args, waitLimit, logs.String())
	}
	return logs.String(), err
}

var tokenLine = regexp.MustCompile(`^[0-9a-f]{32}\n$`)

// checkTokenFile fails unless path holds one token, is readable only by
// its owner, and returns the token.
func checkTokenFile(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("token file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v; want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !tokenLine.Match(data) {
		t.Fatalf("token file holds %d bytes, not one token and a newline", len(data))
	}
	return strings.TrimSpace(string(data))
}

func TestDemoRotatesAndExits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c2-token")
	logs, err := runFor(t, []string{"-demo", "-interval", "1s", "-rotations", "2", "-out", out}, nil)
	if err != nil {
		t.Fatalf("run(-demo) = %v; logs:\n%s", err, logs)
	}
	checkTokenFile(t, out)
	if n := strings.Count(logs, `msg="token rotated"`); n != 2 {
		t.Errorf("logged %d rotations; want 2; logs:\n%s", n, logs)
	}
	if !strings.Contains(logs, "live=true") {
		t.Errorf("the demo did not end with a live token; logs:\n%s", logs)
	}
	if _, err := os.Stat(out + ".state.json"); err != nil {
		t.Errorf("state file: %v", err)
	}
}

// env is a fake C2 for runs that are not demos.
type env struct {
	fake  *fakec2.Server
	root  string
	token string
}

func setup(t *testing.T) *env {
	t.Helper()
	fake := fakec2.New(fakec2.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &env{fake: fake, root: srv.URL, token: fake.IssueToken()}
}

// chain returns the token and every token rotated from it.
func (e *env) chain() []string {
	out := []string{e.token}
	for {
		next, ok := e.fake.Successor(out[len(out)-1])
		if !ok {
			return out
		}
		out = append(out, next)
	}
}

func (e *env) noTokenIn(t *testing.T, logs string) {
	t.Helper()
	for _, tok := range e.chain() {
		if strings.Contains(logs, tok) {
			t.Fatalf("a token appears in the logs:\n%s", logs)
		}
	}
}

func TestTokenFromEnvOrFile(t *testing.T) {
	e := setup(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "issued.txt")
	if err := os.WriteFile(tokenFile, []byte(e.token+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("env", func(t *testing.T) {
		e := setup(t)
		out := filepath.Join(t.TempDir(), "tok")
		logs, err := runFor(t, []string{"-root", e.root, "-out", out, "-rotations", "1"}, map[string]string{"C2_TOKEN": " " + e.token + "\n"})
		if err != nil {
			t.Fatalf("run with C2_TOKEN = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) || e.fake.Valid(e.token) {
			t.Error("the token file does not hold the rotated, live token")
		}
		e.noTokenIn(t, logs)
	})
	t.Run("file", func(t *testing.T) {
		out := filepath.Join(dir, "tok")
		logs, err := runFor(t, []string{"-root", e.root, "-token-file", tokenFile, "-out", out, "-rotations", "1"}, nil)
		if err != nil {
			t.Fatalf("run with -token-file = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) {
			t.Error("the token file does not hold a live token")
		}
		e.noTokenIn(t, logs)
	})
	// Restarted with the same, now dead, issued token, the sidecar resumes
	// from its state file.
	t.Run("restart", func(t *testing.T) {
		out := filepath.Join(dir, "tok")
		logs, err := runFor(t, []string{"-root", e.root, "-token-file", tokenFile, "-out", out, "-interval", "1s", "-rotations", "1"}, nil)
		if err != nil {
			t.Fatalf("restarted run = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) {
			t.Error("after a restart the token file does not hold a live token")
		}
		if st := e.fake.Stats(); st.Unauthorized != 0 || st.Rotations != 2 {
			t.Errorf("server saw %d 401s and %d rotations; want 0 and 2", st.Unauthorized, st.Rotations)
		}
		e.noTokenIn(t, logs)
	})
}

func TestLostTokenExitsWithAnError(t *testing.T) {
	e := setup(t)
	e.fake.Revoke(e.token)
	out := filepath.Join(t.TempDir(), "tok")
	logs, err := runFor(t, []string{"-root", e.root, "-out", out}, map[string]string{"C2_TOKEN": e.token})
	if err == nil || !strings.Contains(err.Error(), e.root+"/charon/tokens/issue") {
		t.Fatalf("run with a revoked token = %v; want the issue URL; logs:\n%s", err, logs)
	}
	e.noTokenIn(t, logs+err.Error())
}

func TestBadInvocations(t *testing.T) {
	dir := t.TempDir()
	placeholder := filepath.Join(dir, "placeholder.txt")
	os.WriteFile(placeholder, []byte("<paste your token from charon here>\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no out", nil, map[string]string{"C2_TOKEN": "abc"}, "-out is required"},
		{"no token", []string{"-out", filepath.Join(dir, "t")}, nil, "no token"},
		{"missing token file", []string{"-out", filepath.Join(dir, "t"), "-token-file", filepath.Join(dir, "nope")}, nil, "read the token"},
		{"placeholder", []string{"-out", filepath.Join(dir, "t"), "-token-file", placeholder}, nil, "placeholder"},
		{"arguments", []string{"-out", filepath.Join(dir, "t"), "token"}, nil, "unexpected arguments"},
		{"negative rotations", []string{"-demo", "-rotations", "-1"}, nil, "negative"},
		{"bad interval", []string{"-demo", "-interval", "0s"}, nil, "positive"},
		{"store and state", []string{"-demo", "-store", filepath.Join(dir, "s"), "-state", filepath.Join(dir, "s")}, nil, "-store and -state"},
		{"store without key", []string{"-demo", "-store", "redis://127.0.0.1:6379/0"}, nil, "needs ?key=NAME"},
		{"store scheme", []string{"-demo", "-store", "memcached://127.0.0.1:11211"}, nil, `scheme "memcached"`},
		{"store directory", []string{"-demo", "-store", filepath.Join(dir, "nope", "state.json")}, nil, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runFor(t, tt.args, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v; want an error mentioning %q", tt.args, err, tt.want)
			}
		})
	}
	if _, err := runFor(t, []string{"-help"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("run(-help) = %v; want flag.ErrHelp", err)
	}
}

// watchWriter keeps what is written, and closes seen once it holds want.
type watchWriter struct {
	syncbuf.Buffer
	want string
	once sync.Once
	seen chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// The command itself, sent SIGTERM while it runs, stops cleanly with
// status 0.
func TestStopsCleanlyOnSIGTERM(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGTERM")
	}
	out := filepath.Join(t.TempDir(), "tok")
	cmd := exec.Command(os.Args[0], "-demo", "-rotations", "0", "-out", out)
	cmd.Env = append(os.Environ(), "C2KEEPALIVE_MAIN=1")
	logs := &watchWriter{seen: make(chan struct{}), want: `msg="token rotated"`}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	rotated := logs.seen
	select {
	case <-rotated:
	case <-time.After(waitLimit):
		t.Fatalf("no rotation within %v; logs:\n%s", waitLimit, logs.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("after SIGTERM the command ended with %v; want status 0; logs:\n%s", err, logs.String())
		}
	case <-time.After(waitLimit):
		t.Fatalf("the command did not stop within %v of SIGTERM", waitLimit)
	}
	mustContain := []string{`msg="stopping`, "live=true"}
	for _, w := range mustContain {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("logs lack %q:\n%s", w, logs.String())
		}
	}
	checkTokenFile(t, out)
}
