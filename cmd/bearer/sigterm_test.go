package main

import (
	"context"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// sigtermRuns is how many times serve is stopped in the middle of a
// rotation.
const sigtermRuns = 10

// SIGTERM while a rotation is in flight (the fake holds its answer) loses
// nothing: serve waits for the answer, saves the new token and exits 0,
// and the next serve resumes the lineage from the store. Each run is a
// new serve stopped during its own first rotation.
func TestSIGTERMDuringRotationLosesNothing(t *testing.T) {
	e := newC2(t)
	state := filepath.Join(e.dir, "state.json")
	cfg := e.config(t, `socket = "`+filepath.Join(e.dir, "s.sock")+`"`, `store = "`+state+`"`, `interval = "1s"`)
	lost := 0
	for run := range sigtermRuns {
		if !sigtermRun(t, e, cfg, state) {
			lost++
			t.Errorf("run %d lost the lineage", run)
		}
	}
	t.Logf("SIGTERM during a rotation: %d lineages lost in %d runs; the fake applied %d rotations and answered %d 401s",
		lost, sigtermRuns, e.fake.Stats().Rotations, e.fake.Stats().Unauthorized)
	if st := e.fake.Stats(); st.Rotations != sigtermRuns || st.Unauthorized != 0 {
		t.Errorf("the fake applied %d rotations and answered %d 401s; want %d and 0", st.Rotations, st.Unauthorized, sigtermRuns)
	}
}

// sigtermRun starts serve, sends it SIGTERM while the fake holds its
// rotation, then releases the answer, and reports whether the store holds
// the live successor after serve exited 0.
func sigtermRun(t *testing.T, e *c2env, cfg, state string) bool {
	t.Helper()
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Count: 1, Block: release,
		OnMatch: func() { arrived <- struct{}{} }})
	p := start(t, nil, "serve", "-config", cfg)
	select {
	case <-arrived:
	case <-time.After(waitLimit):
		t.Fatalf("no rotation within %v; logs:\n%s", waitLimit, p.logs.String())
	}
	stopping := p.logs.next(`msg="stopping`, true)
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-stopping:
	case <-time.After(waitLimit):
		t.Fatalf("serve did not log that it stops; logs:\n%s", p.logs.String())
	}
	close(release)
	if err := p.wait(); err != nil {
		t.Errorf("serve ended with %v after SIGTERM; want status 0; logs:\n%s", err, p.logs.String())
	}
	e.noTokenIn(t, "serve's logs", p.logs.String())
	fs, err := tokenrefresh.NewFileStore(state)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := fs.Load(context.Background())
	chain := e.chain()
	return err == nil && entry.Token.Reveal().AccessToken == chain[len(chain)-1] && e.fake.Valid(entry.Token.Reveal().AccessToken)
}
