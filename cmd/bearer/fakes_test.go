package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

// c2env is a fake C2 served on loopback by the test process, and what it
// saw.
type c2env struct {
	fake      *c2test.Server
	srv       *httptest.Server
	token     string         // the issued token
	rotations chan time.Time // when each rotation was applied
	dir       string
}

// newC2 serves a fake C2 and issues a token, written to dir/issued.
func newC2(t *testing.T) *c2env {
	t.Helper()
	e := &c2env{rotations: make(chan time.Time, 1000), dir: t.TempDir()}
	e.fake = c2test.New(c2test.Options{OnRotate: func() { e.rotations <- time.Now() }})
	e.srv = httptest.NewServer(e.fake)
	t.Cleanup(e.srv.Close)
	e.token = e.fake.IssueToken()
	writeSecret(t, filepath.Join(e.dir, "issued"), e.token+"\n")
	return e
}

// waitRotations waits until n rotations in all have been applied, and
// returns when each was.
func (e *c2env) waitRotations(t *testing.T, n int, seen []time.Time) []time.Time {
	t.Helper()
	for len(seen) < n {
		select {
		case at := <-e.rotations:
			seen = append(seen, at)
		case <-time.After(waitLimit):
			t.Fatalf("%d rotations within %v; want %d", len(seen), waitLimit, n)
		}
	}
	return seen
}

// chain returns the issued token and every token rotated from it.
func (e *c2env) chain() []string {
	out := []string{e.token}
	for {
		next, ok := e.fake.Successor(out[len(out)-1])
		if !ok {
			return out
		}
		out = append(out, next)
	}
}

// noTokenIn fails if any token of the lineage appears in s.
func (e *c2env) noTokenIn(t *testing.T, what, s string) {
	t.Helper()
	for _, tok := range e.chain() {
		if strings.Contains(s, tok) {
			t.Fatalf("a token appears in %s:\n%s", what, s)
		}
	}
}

// config writes a configuration with one C2 token, named c2, and the
// given [server] lines and extra token lines; it returns its path.
func (e *c2env) config(t *testing.T, server string, extra ...string) string {
	t.Helper()
	body := fmt.Sprintf("[server]\n%s\n\n[tokens.c2]\nsource = \"c2\"\napi_root = %q\ntoken_file = %q\n%s\n",
		server, e.srv.URL, filepath.Join(e.dir, "issued"), strings.Join(extra, "\n"))
	path := filepath.Join(t.TempDir(), "bearer.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
