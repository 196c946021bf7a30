package c2_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"golang.org/x/oauth2"
)

// Shape of the fence test, on the real clock: the shortest interval the
// Refresher schedules as asked (it keeps a second between rotations), and
// a fence well below half of it.
const (
	fenceInterval  = 1200 * time.Millisecond
	fenceLength    = 200 * time.Millisecond
	fenceRotations = 4
	fenceWorkers   = 4
)

// fenceRun is what one run of the fence test counted.
type fenceRun struct {
	requests, failures int
	unauthorized       int // 401s the fake answered to API requests during the run
	slowest            time.Duration
}

// runRotationsUnderLoad makes requests back to back from fenceWorkers
// goroutines across fenceRotations rotations, and counts.
func runRotationsUnderLoad(t *testing.T, opts ...c2.Option) fenceRun {
	t.Helper()
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	rotated := make(chan struct{}, 100)
	opts = append(opts, c2.WithRefreshInterval(fenceInterval),
		c2.WithOnRotate(func(_, _ *oauth2.Token) { rotated <- struct{}{} }))
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitLimit)
	defer cancel()
	c, err := c2.Authenticate(ctx, srv.URL, fake.IssueToken(), opts...)
	if err != nil {
		t.Fatalf("Authenticate() = %v", err)
	}
	defer c.Close()
	<-rotated // the rotation Authenticate waited for
	before := fake.Stats().Unauthorized

	var (
		mu   sync.Mutex
		run  fenceRun
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	for range fenceWorkers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				_, err := c.Drivers.List(ctx)
				took := time.Since(start)
				mu.Lock()
				run.requests++
				if err != nil {
					run.failures++
					if run.failures == 1 {
						t.Errorf("Drivers.List() = %v", err)
					}
				}
				run.slowest = max(run.slowest, took)
				mu.Unlock()
			}
		})
	}
	for i := range fenceRotations {
		select {
		case <-rotated:
		case <-ctx.Done():
			t.Errorf("rotation %d did not come within the test's time", i+1)
		}
	}
	close(stop)
	wg.Wait()
	run.unauthorized = fake.Stats().Unauthorized - before
	return run
}

// Without a fence, the requests in flight when Charon kills the token are
// answered 401 and replayed; with one, the client holds requests back for
// the rotation and the server sees no 401 at all. No request fails either
// way.
func TestFenceKeepsRequestsOffTheDyingToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs rotations on the real clock")
	}
	open := runRotationsUnderLoad(t)
	fenced := runRotationsUnderLoad(t, c2.WithFence(fenceLength))
	t.Logf("%d rotations, %d workers, interval %v", fenceRotations, fenceWorkers, fenceInterval)
	t.Logf("no fence:   %d requests, %d failed, %d answered 401 and replayed, slowest %v",
		open.requests, open.failures, open.unauthorized, open.slowest.Round(time.Millisecond))
	t.Logf("fence %v: %d requests, %d failed, %d answered 401, slowest %v",
		fenceLength, fenced.requests, fenced.failures, fenced.unauthorized, fenced.slowest.Round(time.Millisecond))
	if open.unauthorized == 0 {
		t.Errorf("without a fence no request met a rotation: the load is too light for this test to show anything")
	}
	if fenced.unauthorized != 0 {
		t.Errorf("with a fence the server answered %d requests 401; want 0", fenced.unauthorized)
	}
}

func TestWithFenceRejectsBadLengths(t *testing.T) {
	e := setup(t, c2test.Options{})
	for _, opts := range [][]c2.Option{
		{c2.WithFence(-time.Second)},
		{c2.WithFence(30 * time.Minute)},
		{c2.WithRefreshInterval(time.Minute), c2.WithFence(30 * time.Second)},
	} {
		if c, err := c2.New(context.Background(), e.srv.URL, e.token, opts...); err == nil {
			c.Close()
			t.Errorf("New with %d options accepted a fence not below half the interval", len(opts))
		}
	}
}
