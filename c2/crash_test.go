package c2_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/c2crash"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// Bounds of the random moments of the crash test, in real time. The
// server holds each rotation up to maxFaultDelay before applying it, and
// the child is killed up to maxKillDelay after the rotation reaches the
// server: before it is applied, while its answer travels, while the child
// saves the new token, or after.
const (
	maxFaultDelay = 20 * time.Millisecond
	maxKillDelay  = 40 * time.Millisecond
)

// crashKills returns how many children the crash test kills: $C2_CRASH_KILLS,
// else 100, or 20 with -short.
func crashKills(t *testing.T) int {
	if s := os.Getenv("C2_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("C2_CRASH_KILLS=%q: want a positive count", s)
		}
		return n
	}
	if testing.Short() {
		return 20
	}
	return 100
}

// A real child process keeps a token alive with a FileStore and is killed
// with SIGKILL at a random moment of a rotation, again and again, each
// child resuming from the file the last one left. After every kill the
// file's token must be alive on the server, except when the kill fell
// between the server's rotation and the client's save: that window is
// counted, and is the only way the lineage may end.
func TestCrashLosesTheLineageOnlyBetweenRotationAndSave(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("needs SIGKILL")
	}
	kills := crashKills(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("C2_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("C2_CRASH_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))

	fake := c2test.New(c2test.Options{})
	var srvState server
	srv := httptest.NewServer(srvState.wrap(fake))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "c2-token.json")
	store, err := tokenrefresh.NewFileStore(file)
	if err != nil {
		t.Fatal(err)
	}

	initial := fake.IssueToken() // the lineage's first token, as a user would pass it
	counts := make(map[c2crash.Outcome]int)
	start := time.Now()
	for i := range kills {
		before := storedToken(t, store, initial)
		c := crashChild{root: srv.URL, token: initial, file: file, offset: time.Duration(i+1) * 2 * time.Hour}
		c.killDuringRotation(t, fake, &srvState, rng)
		if got := srvState.lastRotated(); got != before {
			t.Fatalf("kill %d: the child rotated another token than the latest stored one: it did not resume the lineage", i)
		}
		stored := storedToken(t, store, initial)
		o := c2crash.Classify(fake, stored, before)
		counts[o]++
		switch o {
		case c2crash.InWindow:
			initial = fake.IssueToken() // the lineage ended: the user issues a new token
		case c2crash.Lost:
			t.Errorf("kill %d: the token in the file is dead and was never rotated: lineage lost", i)
			initial = fake.IssueToken()
		}
	}
	lost := counts[c2crash.InWindow] + counts[c2crash.Lost]
	t.Logf("%d kills in %v: %d before the rotation, %d after the save, %d between rotation and save; lineage lost %d times, %d of them outside that window",
		kills, time.Since(start).Round(time.Millisecond), counts[c2crash.BeforeRotation], counts[c2crash.AfterSave],
		counts[c2crash.InWindow], lost, counts[c2crash.Lost])
	if lost != counts[c2crash.InWindow] {
		t.Errorf("lineage lost %d times; want only the %d kills between rotation and save", lost, counts[c2crash.InWindow])
	}
}

// storedToken returns the token the file holds for initial's lineage, or
// initial if it holds none.
func storedToken(t *testing.T, store *tokenrefresh.FileStore, initial string) string {
	t.Helper()
	e, err := store.Load(t.Context())
	switch {
	case errors.Is(err, tokenrefresh.ErrNoToken):
		return initial
	case err != nil:
		t.Fatalf("the token file is unreadable after a kill: %v", err)
	case e.Lineage != tokenrefresh.LineageOf(&oauth2.Token{AccessToken: initial}):
		return initial
	}
	return e.Token.Reveal().AccessToken
}

// crashChild is one child process of the crash test.
type crashChild struct {
	root, token, file string
	offset            time.Duration
}

// killDuringRotation starts the child, waits until its rotation reaches
// the server, kills it at a random moment after, and waits until the
// server has finished with it.
func (c crashChild) killDuringRotation(t *testing.T, fake *c2test.Server, srv *server, rng *rand.Rand) {
	t.Helper()
	arrived := make(chan struct{}, 1)
	fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Count: 1,
		Delay:   time.Duration(rng.Int64N(int64(maxFaultDelay))),
		OnMatch: func() { arrived <- struct{}{} }})
	defer fake.ClearFaults()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), c2crash.Env(c.root, c.token, c.file, c.offset)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the child: %v", err)
	}
	select {
	case <-arrived:
		// A random moment after the rotation arrived: the crash's timing,
		// which no event may choose, not a wait for something to happen.
		kill := time.NewTimer(time.Duration(rng.Int64N(int64(maxKillDelay))))
		<-kill.C
	case <-time.After(waitLimit):
		t.Errorf("the child's rotation never reached the server")
	}
	cmd.Process.Signal(syscall.SIGKILL)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, not by SIGKILL; stderr: %s", err, strings.TrimSpace(stderr.String()))
	}
	srv.waitIdle(t)
}

// server tracks the fake's requests in flight, and remembers the last
// token a rotation named.
type server struct {
	mu      sync.Mutex // guards the fields below
	n       int
	idle    chan struct{} // closed when n drops to 0; nil when nobody waits
	rotated string
}

func (s *server) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.n++
		if tok, ok := strings.CutPrefix(r.URL.Path, c2test.TokensPathPrefix); ok && r.Method == http.MethodPut {
			s.rotated = tok
		}
		s.mu.Unlock()
		defer s.done()
		h.ServeHTTP(w, r)
	})
}

func (s *server) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n--
	if s.n == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

func (s *server) lastRotated() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotated
}

// waitIdle waits until no request is in flight: a rotation the killed
// child sent has been applied or abandoned.
func (s *server) waitIdle(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	if s.n == 0 {
		s.mu.Unlock()
		return
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	select {
	case <-idle:
	case <-time.After(waitLimit):
		t.Fatalf("the server still serves the killed child after %v", waitLimit)
	}
}
