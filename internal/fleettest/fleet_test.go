package fleettest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakec2"
)

// This file is the parent side: a fake C2 that logs rotations, and the
// child processes of one fleet.

// waitLimit bounds every wait on the fleet that has no tighter bound of
// its own, so a broken test fails instead of hanging.
const waitLimit = 20 * time.Second

// startLimit bounds the start of a fleet: twenty race-instrumented
// processes starting at once on a loaded two-core machine.
const startLimit = 60 * time.Second

// fleet is one scenario's fake C2 and the children sharing one lineage.
type fleet struct {
	t        *testing.T
	fake     *fakec2.Server
	root     string
	initial  string   // the lineage's first token
	storeEnv []string // the environment entries naming the store
	interval time.Duration
	rot      *rotationLog
	changed  chan struct{} // capacity 1: a child's state or the rotation log changed
	puts     chan *child   // every child that announced a rotation
	children []*child
}

// newFleet serves a fake C2 and issues the lineage's first token. The
// children, started by start, will share it through the store that
// storeEnv names.
func newFleet(t *testing.T, interval time.Duration, storeEnv ...string) *fleet {
	t.Helper()
	f := &fleet{
		t:        t,
		fake:     fakec2.New(fakec2.Options{}),
		storeEnv: storeEnv,
		interval: interval,
		changed:  make(chan struct{}, 1),
		puts:     make(chan *child, 1024),
	}
	f.rot = &rotationLog{notify: f.signal}
	srv := httptest.NewServer(f.rot.wrap(f.fake))
	t.Cleanup(srv.Close)
	f.root = srv.URL
	f.initial = f.fake.IssueToken()
	t.Cleanup(f.killAll)
	return f
}

// signal wakes await.
func (f *fleet) signal() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

// start starts n children and waits until each has its client running.
func (f *fleet) start(n int) {
	f.t.Helper()
	env := append(os.Environ(),
		envChild+"=1",
		envRoot+"="+f.root,
		envToken+"="+f.initial,
		envInterval+"="+f.interval.String())
	env = append(env, f.storeEnv...)
	for i := range n {
		c := &child{i: i, exited: make(chan struct{})}
		c.cmd = exec.Command(os.Args[0], "-test.run=^$")
		c.cmd.Env = env
		c.cmd.Stderr = &c.stderr
		stdin, err := c.cmd.StdinPipe()
		if err != nil {
			f.t.Fatal(err)
		}
		stdout, err := c.cmd.StdoutPipe()
		if err != nil {
			f.t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			f.t.Fatalf("start child %d: %v", i, err)
		}
		c.stdin = stdin
		f.children = append(f.children, c)
		go f.read(c, stdout)
	}
	f.await("every child runs its client", startLimit, func() bool {
		return f.all(func(c *child) bool { return c.ready })
	})
}

// read applies a child's events until its stdout closes, then reaps it.
func (f *fleet) read(c *child, stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			c.setBad(sc.Text())
		} else {
			c.apply(ev)
		}
		if ev.Event == "put" {
			select {
			case f.puts <- c:
			default:
			}
		}
		f.signal()
	}
	io.Copy(io.Discard, stdout)
	err := c.cmd.Wait()
	c.mu.Lock()
	c.waitErr = err
	c.mu.Unlock()
	close(c.exited)
	f.signal()
}

// await waits until cond holds, failing the test after limit or as soon
// as a child exits unasked. It returns how long it waited.
func (f *fleet) await(what string, limit time.Duration, cond func() bool) time.Duration {
	f.t.Helper()
	start := time.Now()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for !cond() {
		f.checkAlive(what)
		select {
		case <-f.changed:
		case <-timer.C:
			f.t.Fatalf("waiting until %s: not within %v\n%s", what, limit, f.describe())
		}
	}
	return time.Since(start)
}

// checkAlive fails the test if a child exited unasked.
func (f *fleet) checkAlive(what string) {
	f.t.Helper()
	for _, c := range f.children {
		if c.hasExited() && !c.expected() {
			f.t.Fatalf("%s: child %d exited unasked (%v); stderr:\n%s", what, c.i, c.err(), c.stderrTail())
		}
	}
}

// hold lets the fleet run for d, failing at once if a child exits unasked.
func (f *fleet) hold(d time.Duration) {
	f.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		f.checkAlive("holding")
		select {
		case <-timer.C:
			return
		case <-f.changed:
		}
	}
}

// drainPuts forgets the rotations announced so far. Call it while no
// rotation is in flight.
func (f *fleet) drainPuts() {
	for {
		select {
		case <-f.puts:
		default:
			return
		}
	}
}

// nextPut waits for the next child to announce a rotation.
func (f *fleet) nextPut(limit time.Duration) *child {
	f.t.Helper()
	select {
	case c := <-f.puts:
		return c
	case <-time.After(limit):
		f.t.Fatalf("no child announced a rotation within %v", limit)
		return nil
	}
}

// pendingPut returns a child that announced a rotation since the last
// call, or nil.
func (f *fleet) pendingPut() *child {
	select {
	case c := <-f.puts:
		return c
	default:
		return nil
	}
}

// all reports whether every child not told to end satisfies cond.
func (f *fleet) all(cond func(c *child) bool) bool {
	for _, c := range f.children {
		c.mu.Lock()
		ok := c.ending || cond(c)
		c.mu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// chain returns the lineage: the first token and every token rotated from
// it, in order.
func (f *fleet) chain() []string {
	out := []string{f.initial}
	for {
		next, ok := f.fake.Successor(out[len(out)-1])
		if !ok {
			return out
		}
		out = append(out, next)
	}
}

// last returns the lineage's newest token.
func (f *fleet) last() string {
	c := f.chain()
	return c[len(c)-1]
}

// awaitRotations waits until the fake has applied n rotations in all,
// allowing limit for each one still missing.
func (f *fleet) awaitRotations(n int, each time.Duration) {
	f.t.Helper()
	missing := n - f.rot.count()
	if missing <= 0 {
		return
	}
	f.await(fmt.Sprintf("%d rotations", n), time.Duration(missing)*each, func() bool { return f.rot.count() >= n })
}

// awaitConverged waits until every child serves the lineage's newest
// token, and returns how long that took.
func (f *fleet) awaitConverged() time.Duration {
	f.t.Helper()
	return f.await("every child serves the newest token", waitLimit, func() bool {
		want := hashOf(f.last())
		return f.all(func(c *child) bool { return c.hash == want })
	})
}

// stop tells every child still running to stop, by closing its stdin,
// waits until they have reported and exited, and returns them.
func (f *fleet) stop() []*child {
	f.t.Helper()
	var live []*child
	for _, c := range f.children {
		if !c.hasExited() {
			c.setEnding()
			c.stdin.Close()
			live = append(live, c)
		}
	}
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for _, c := range live {
		select {
		case <-c.exited:
		case <-deadline.C:
			f.t.Fatalf("child %d did not stop within %v of its stdin closing", c.i, waitLimit)
		}
		c.mu.Lock()
		rep, err, bad := c.report, c.waitErr, c.badLine
		c.mu.Unlock()
		switch {
		case err != nil:
			f.t.Fatalf("child %d ended with %v; stderr:\n%s", c.i, err, c.stderrTail())
		case rep == nil:
			f.t.Fatalf("child %d sent no report (stray output %q); stderr:\n%s", c.i, bad, c.stderrTail())
		}
	}
	return live
}

// kill kills c with SIGKILL and waits until it is gone.
func (f *fleet) kill(c *child) {
	f.t.Helper()
	c.setEnding()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		f.t.Fatalf("kill child %d: %v", c.i, err)
	}
	select {
	case <-c.exited:
	case <-time.After(waitLimit):
		f.t.Fatalf("child %d still runs %v after SIGKILL", c.i, waitLimit)
	}
	var ee *exec.ExitError
	if err := c.err(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		f.t.Fatalf("child %d ended with %v, not by SIGKILL", c.i, err)
	}
}

// killAll kills whatever child still runs, at the end of a test.
func (f *fleet) killAll() {
	for _, c := range f.children {
		c.setEnding()
		c.cmd.Process.Kill()
	}
	for _, c := range f.children {
		select {
		case <-c.exited:
		case <-time.After(waitLimit):
			f.t.Errorf("child %d still runs %v after SIGKILL", c.i, waitLimit)
		}
	}
}

// noTokenInOutput fails if any token of the lineage appears in what the
// children wrote.
func (f *fleet) noTokenInOutput() {
	f.t.Helper()
	for _, tok := range f.chain() {
		for _, c := range f.children {
			if strings.Contains(c.stderr.String(), tok) {
				f.t.Errorf("child %d logged a token", c.i)
			}
		}
	}
}

// describe says where each child is, for a failure message.
func (f *fleet) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rotations applied: %d; newest token %s\n", f.rot.count(), hashOf(f.last()))
	for _, c := range f.children {
		c.mu.Lock()
		fmt.Fprintf(&b, "child %2d: ready=%v token=%s store_down=%v exited=%v\n", c.i, c.ready, c.hash, c.down, c.waitErr != nil || c.report != nil)
		c.mu.Unlock()
	}
	return b.String()
}

// child is the parent's view of one child process.
type child struct {
	i      int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr syncBuffer
	exited chan struct{} // closed once the process is reaped

	mu      sync.Mutex // guards the fields below
	ready   bool
	hash    string // of the token it last said it serves
	down    bool   // its store is unavailable, as it last said
	outages int
	report  *report
	badLine string // a line of stdout that was no event
	ending  bool   // told to stop, or killed
	waitErr error
}

func (c *child) apply(ev event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Event {
	case "ready":
		c.ready, c.hash = true, ev.Hash
	case "token":
		c.hash = ev.Hash
	case "store":
		c.down = ev.Down
		if ev.Down {
			c.outages++
		}
	case "report":
		c.report = ev.Report
	}
}

func (c *child) setBad(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.badLine == "" {
		c.badLine = line
	}
}

func (c *child) setEnding() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ending = true
}

func (c *child) expected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ending
}

func (c *child) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

func (c *child) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

// stderrTail returns the end of what the child logged.
func (c *child) stderrTail() string {
	s := c.stderr.String()
	const max = 4000
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rotationLog records when the fake applied each rotation it answered.
type rotationLog struct {
	notify func()

	mu    sync.Mutex // guards times
	times []time.Time
}

// wrap serves h, logging every rotation answered 200.
func (l *rotationLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, fakec2.TokensPathPrefix) {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.status == http.StatusOK {
			l.mu.Lock()
			l.times = append(l.times, time.Now())
			l.mu.Unlock()
			l.notify()
		}
	})
}

func (l *rotationLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.times)
}

// at returns the times of the rotations so far.
func (l *rotationLog) at() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.times...)
}

// statusWriter remembers the status a handler answered. Unwrap lets the
// fake hijack the connection beneath.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
