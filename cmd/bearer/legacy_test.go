package main

import (
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

// The tests of examples/c2-keepalive's flags, which bearer serve keeps
// working, run the command in-process.

// runFor runs bearer with args and env in-process, and returns what it
// logged and its error.
func runFor(t *testing.T, args []string, vars map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var logs, out syncbuf.Buffer
	err := run(ctx, env{args: args, getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &logs})
	if ctx.Err() != nil {
		t.Fatalf("run(%q) did not return within %v; logs:\n%s", args, waitLimit, logs.String())
	}
	return logs.String() + out.String(), err
}

var tokenLine = regexp.MustCompile(`^[0-9a-f]{32}\n$`)

// checkTokenFile fails unless path holds one token and is readable only by
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

func TestLegacyDemoRotatesAndExits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "c2-token")
	logs, err := runFor(t, []string{"serve", "-demo", "-interval", "1s", "-rotations", "2", "-out", out}, nil)
	if err != nil {
		t.Fatalf("serve -demo = %v; logs:\n%s", err, logs)
	}
	checkTokenFile(t, out)
	if n := strings.Count(logs, `msg="token refreshed"`); n != 2 {
		t.Errorf("logged %d refreshes; want 2; logs:\n%s", n, logs)
	}
	if !strings.Contains(logs, "live=true") {
		t.Errorf("the demo did not end with a live token; logs:\n%s", logs)
	}
	if _, err := os.Stat(out + ".state.json"); err != nil {
		t.Errorf("state file: %v", err)
	}
}

func TestLegacyTokenFromEnvOrFile(t *testing.T) {
	e := newC2(t)
	tokenFile := filepath.Join(e.dir, "issued")
	out := filepath.Join(e.dir, "tok")
	t.Run("env", func(t *testing.T) {
		e := newC2(t)
		out := filepath.Join(e.dir, "tok")
		logs, err := runFor(t, []string{"serve", "-root", e.srv.URL, "-out", out, "-rotations", "1"}, map[string]string{"C2_TOKEN": " " + e.token + "\n"})
		if err != nil {
			t.Fatalf("serve with C2_TOKEN = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) || e.fake.Valid(e.token) {
			t.Error("the token file does not hold the rotated, live token")
		}
		e.noTokenIn(t, "the logs", logs)
	})
	t.Run("file", func(t *testing.T) {
		logs, err := runFor(t, []string{"serve", "-root", e.srv.URL, "-token-file", tokenFile, "-out", out, "-rotations", "1"}, nil)
		if err != nil {
			t.Fatalf("serve -token-file = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) {
			t.Error("the token file does not hold a live token")
		}
		e.noTokenIn(t, "the logs", logs)
	})
	// Restarted with the same, now dead, issued token, serve resumes from
	// its state file.
	t.Run("restart", func(t *testing.T) {
		logs, err := runFor(t, []string{"serve", "-root", e.srv.URL, "-token-file", tokenFile, "-out", out, "-interval", "1s", "-rotations", "1"}, nil)
		if err != nil {
			t.Fatalf("restarted serve = %v; logs:\n%s", err, logs)
		}
		if tok := checkTokenFile(t, out); !e.fake.Valid(tok) {
			t.Error("after a restart the token file does not hold a live token")
		}
		if st := e.fake.Stats(); st.Unauthorized != 0 || st.Rotations != 2 {
			t.Errorf("server saw %d 401s and %d rotations; want 0 and 2", st.Unauthorized, st.Rotations)
		}
		e.noTokenIn(t, "the logs", logs)
	})
}

func TestLegacyLostTokenExitsWithAnError(t *testing.T) {
	e := newC2(t)
	e.fake.Revoke(e.token)
	out := filepath.Join(e.dir, "tok")
	logs, err := runFor(t, []string{"serve", "-root", e.srv.URL, "-out", out}, map[string]string{"C2_TOKEN": e.token})
	if err == nil || !strings.Contains(err.Error(), e.srv.URL+"/charon/tokens/issue") {
		t.Fatalf("serve with a revoked token = %v; want the issue URL; logs:\n%s", err, logs)
	}
	e.noTokenIn(t, "the logs and the error", logs+err.Error())
}

func TestLegacyBadInvocations(t *testing.T) {
	dir := t.TempDir()
	placeholder := writeSecret(t, filepath.Join(dir, "placeholder.txt"), "<paste your token from charon here>\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no out", []string{"-root", "https://api.c2.noc.ac.uk"}, map[string]string{"C2_TOKEN": "abc"}, "-out is required"},
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
		{"config and flags", []string{"-config", filepath.Join(dir, "b.toml"), "-out", filepath.Join(dir, "t")}, nil, "do not mix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runFor(t, append([]string{"serve"}, tt.args...), tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve %q = %v; want an error mentioning %q", tt.args, err, tt.want)
			}
		})
	}
	if _, err := runFor(t, []string{"serve", "-help"}, nil); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("serve -help = %v; want flag.ErrHelp", err)
	}
}

// A Redis that cannot be reached stops serve at start, with a message
// that says so: the token it holds may be the only live one.
func TestLegacyUnreachableRedisFailsAtStart(t *testing.T) {
	e := newC2(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	out := filepath.Join(e.dir, "tok")
	logs, err := runFor(t, []string{"serve", "-root", e.srv.URL, "-out", out, "-store", "redis://" + addr + "/0?key=k"}, map[string]string{"C2_TOKEN": e.token})
	if err == nil || !strings.Contains(err.Error(), "check that Redis is reachable") {
		t.Fatalf("serve with Redis down = %v; want an error saying Redis is unreachable; logs:\n%s", err, logs)
	}
	if st := e.fake.Stats(); st.Rotations != 0 {
		t.Errorf("serve rotated %d times without its store; want 0", st.Rotations)
	}
	e.noTokenIn(t, "the logs and the error", logs+err.Error())
}
