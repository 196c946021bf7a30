package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/internal/redistest"
)

// redisAddr returns the shared Redis of BEARER_REDIS_ADDR if it answers,
// else a private redis-server of the test's own (or skips).
func redisAddr(t *testing.T) string {
	t.Helper()
	if addr := os.Getenv(redistest.AddrEnv); addr != "" && redistest.Ping(addr, 2*time.Second) == nil {
		return addr
	}
	return redistest.Private(t).Addr
}

// Three serve processes given the same token and the same Redis key keep
// one token alive together: the first to take the lock rotates the
// freshly issued token at once and the others adopt it; then exactly one
// of them rotates it each interval, and all three write the newest token
// to their files.
func TestThreeServesShareOneTokenThroughRedis(t *testing.T) {
	const (
		serves    = 3
		interval  = time.Second
		scheduled = 4 // rotations after the immediate one
	)
	e := newC2(t)
	addr := redisAddr(t)
	store := fmt.Sprintf("redis://%s/0?key=%s", addr, redistest.Key(t, addr))
	var procs []*proc
	var outs []string
	for i := range serves {
		out := filepath.Join(e.dir, fmt.Sprintf("out-%d", i))
		outs = append(outs, out)
		cfg := e.config(t, fmt.Sprintf("socket = %q", filepath.Join(e.dir, fmt.Sprintf("s%d.sock", i))),
			fmt.Sprintf("store = %q\nout = %q\ninterval = %q", store, out, interval))
		procs = append(procs, start(t, nil, "serve", "-config", cfg))
	}
	times := e.waitRotations(t, 1+scheduled, nil)
	last := e.chain()[1+scheduled]
	for _, p := range procs {
		p.waitLog(`msg="token refreshed" .* fingerprint=` + keeper.Fingerprint(last))
	}
	for _, p := range procs {
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range procs {
		if err := p.wait(); err != nil {
			t.Errorf("serve %d after SIGTERM: %v; logs:\n%s", i, err, p.logs.String())
		}
	}
	times = drain(e.rotations, times)
	st := e.fake.Stats()
	t.Logf("%d serves, interval %v: the fake applied %d rotations and answered %d 401s", serves, interval, st.Rotations, st.Unauthorized)
	if st.Rotations != len(times) || st.Unauthorized != 0 {
		t.Errorf("the fake saw %d rotations (%d reported) and %d 401s; want 0 401s", st.Rotations, len(times), st.Unauthorized)
	}
	for i := 1; i < len(times); i++ {
		// A gap under 0.9 interval would be two rotations in one interval.
		if g := times[i].Sub(times[i-1]); g < interval*9/10 {
			t.Errorf("rotation %d came %v after the one before; want one per interval of %v", i+1, g, interval)
		}
	}
	for i, out := range outs {
		data, _ := os.ReadFile(out)
		if got := strings.TrimSpace(string(data)); got != e.chain()[len(times)] || !e.fake.Valid(got) {
			t.Errorf("serve %d's file does not hold the newest, live token", i)
		}
		e.noTokenIn(t, fmt.Sprintf("serve %d's logs", i), procs[i].logs.String())
	}
}

// drain appends what ch holds now to seen.
func drain(ch <-chan time.Time, seen []time.Time) []time.Time {
	for {
		select {
		case at := <-ch:
			seen = append(seen, at)
		default:
			return seen
		}
	}
}
