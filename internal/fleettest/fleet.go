package fleettest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

// This file is the parent side of a scenario: the fleet of child
// processes, started, watched through their events, stopped and killed.

// waitLimit bounds every wait on the fleet that has no tighter bound of
// its own, so a broken test fails instead of hanging.
const waitLimit = 20 * time.Second

// startLimit bounds the start of a fleet: twenty race-instrumented
// processes starting at once on a loaded two-core machine.
const startLimit = 60 * time.Second

// fleet is one scenario's fake C2 and the children sharing one lineage.
type fleet struct {
	t        *testing.T
	fake     *c2test.Server
	root     string
	initial  string // the lineage's first token
	store    string // the store's spec
	interval time.Duration
	fence    time.Duration // the children's c2.WithFence; zero: none
	rot      *rotationLog
	rejected rejections    // when the fake answered API requests 401
	frozen   chan struct{} // holds rotations after freeze; closed at the end
	changed  chan struct{} // capacity 1: a child's state or the rotation log changed
	puts     chan *child   // every child that announced a rotation
	children []*child
}

// newFleet serves a fake C2 and issues the lineage's first token. The
// children, started by start, will share it through the store that the
// spec names.
func newFleet(t *testing.T, interval time.Duration, spec string) *fleet {
	t.Helper()
	f := &fleet{
		t:        t,
		store:    spec,
		interval: interval,
		frozen:   make(chan struct{}),
		changed:  make(chan struct{}, 1),
		puts:     make(chan *child, 1024),
	}
	f.rot = &rotationLog{notify: f.signal}
	f.fake = c2test.New(c2test.Options{OnRotate: f.rot.record, OnUnauthorized: f.rejected.record})
	srv := httptest.NewServer(f.fake)
	t.Cleanup(srv.Close)
	f.root = srv.URL
	f.initial = f.fake.IssueToken()
	t.Cleanup(func() { close(f.frozen) }) // once the children are dead: nothing held is applied
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
		envInterval+"="+f.interval.String(),
		envStore+"="+f.store)
	if f.fence > 0 {
		env = append(env, envFence+"="+f.fence.String())
	}
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

// freeze makes the fake hold every rotation from now on, unapplied, so
// that the end of a scenario, waiting for every member to serve the
// newest token and stopping them, never races the next rotation. A member
// that comes due meanwhile waits for the fake with the lock held, serving
// its still valid token; when it is stopped, its rotation is dropped, and
// counted in Stats().FaultsApplied.
func (f *fleet) freeze() {
	f.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Block: f.frozen})
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
