package c2_test

// The behaviour of the C2 notebooks' refresh thread (seed 000), and each of
// its bugs fixed, one test apiece.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// "Once this thread starts, the TOKEN defined above will become invalid as
// the C2 API will refresh it straight away."
func TestStartRotatesAtOnceAndKillsTheOriginal(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	next := e.waitRotation(t)
	if next.AccessToken == e.token {
		t.Fatal("the rotation answered the same token")
	}
	if e.fake.Valid(e.token) {
		t.Error("the original token is still valid after the first rotation")
	}
	if !e.fake.Valid(next.AccessToken) {
		t.Error("the rotated token is not valid")
	}
	if tok, err := c.Token(ctx(t)); err != nil || tok.AccessToken != next.AccessToken {
		t.Errorf("Token() = %v; want the rotated token", err)
	}
	if _, err := c.Drivers.List(ctx(t)); err != nil {
		t.Errorf("Drivers.List with the rotated token = %v", err)
	}
}

// "Refresh them approximately every 55 minutes": the interval counts from
// each rotation, brought forward by at most a tenth at random so a fleet
// does not rotate in step.
func TestRotatesEveryRefreshInterval(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.newClient(t)
	prev := e.waitRotation(t).AccessToken
	for i := range 5 {
		rotatedAt := e.clk.Now()
		next := e.nextWake(t)
		if d := next.Sub(rotatedAt); d > c2.DefaultRefreshInterval || d < c2.DefaultRefreshInterval*9/10 {
			t.Fatalf("rotation %d planned %v after the last; want 49.5 to 55 minutes", i+2, d)
		}
		e.clk.Advance(next.Sub(rotatedAt))
		tok := e.waitRotation(t).AccessToken
		if tok == prev || e.fake.Valid(prev) {
			t.Fatalf("rotation %d did not replace and kill the previous token", i+2)
		}
		prev = tok
	}
	if got := e.fake.Stats().Rotations; got != 6 {
		t.Errorf("server rotated %d times; want 6", got)
	}
}

// Seed bug: the retry sent PUT {root}/tokens/{token}, which does not
// exist. Every attempt must go to /charon/tokens/{token}.
func TestRetryUsesTheCharonPath(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 2})
	e.newClient(t)
	e.retryAfter(t, c2.DefaultRetryInterval)
	e.retryAfter(t, c2.DefaultRetryInterval)
	e.waitRotation(t)
	st := e.fake.Stats()
	if st.Requests[rotatePattern] != 3 {
		t.Errorf("PUT /charon/tokens/{token} requests = %d; want 3 (one failure, two retries)", st.Requests[rotatePattern])
	}
	if st.Requests["/"] != 0 {
		t.Errorf("%d requests went to paths C2 does not serve; want 0", st.Requests["/"])
	}
}

// The seed retried 3 times, 60 s apart, then gave up until its next
// 55-minute tick, by which time an idle token was dead. The client makes
// the same 3 retries, then keeps trying with doubling waits (jittered:
// each in the upper half of its double) up to MaxRetryWait, and never
// gives up on an error that may pass.
func TestRetriesSixtySecondsApartThenBackOffWithoutGivingUp(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusBadGateway})
	c := e.newClient(t)
	for range 3 {
		e.retryAfter(t, time.Minute)
	}
	waits := []time.Duration{2 * time.Minute, 4 * time.Minute, c2.MaxRetryWait, c2.MaxRetryWait, c2.MaxRetryWait}
	for _, w := range waits {
		e.retryWithin(t, w/2, w)
	}
	next := e.nextWake(t).Sub(e.clk.Now()) // the last failure has planned the next attempt
	if next < c2.MaxRetryWait/2 || next > c2.MaxRetryWait {
		t.Fatalf("next attempt planned at now+%v; want within [%v, %v]", next, c2.MaxRetryWait/2, c2.MaxRetryWait)
	}
	e.fake.ClearFaults()
	e.clk.Advance(next)
	e.waitRotation(t)
	if got, want := e.putCount(), 3+len(waits)+2; got != want {
		t.Errorf("rotation attempts = %d; want %d", got, want)
	}
	if st := c.Status(); !st.Healthy || st.ConsecutiveFailures != 0 {
		t.Errorf("Status() after recovery = %+v; want healthy", st)
	}
}

// Seed bug: the retry counter was reset only on success, and not at all on
// some failure paths, so later outages got fewer retries. Each rotation
// starts with the full count, at the short interval.
func TestRetryCountStartsAfreshAfterSuccess(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 5})
	e.newClient(t, c2.WithRetry(30*time.Second, 2))
	e.retryAfter(t, 30*time.Second)
	e.retryAfter(t, 30*time.Second)
	for _, w := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		e.retryWithin(t, w/2, w)
	}
	e.waitRotation(t)

	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 1})
	e.clk.Advance(e.nextWake(t).Sub(e.clk.Now())) // the next scheduled rotation fails once
	e.retryAfter(t, 30*time.Second)
	e.waitRotation(t)
}

// Seed bug: "running = False" stopped the thread only at its next tick, 55
// minutes later. Close returns at once, whether the loop is waiting for
// its next rotation or a rotation is in flight, and no goroutine outlives
// it (TestMain checks).
func TestCloseIsImmediate(t *testing.T) {
	t.Run("waiting", func(t *testing.T) {
		e := setup(t, c2test.Options{})
		c := e.newClient(t)
		e.waitRotation(t)
		e.nextWake(t)
		closeWithin(t, c)
	})
	t.Run("connecting", func(t *testing.T) {
		e := setup(t, c2test.Options{})
		dialing, release := make(chan struct{}), make(chan struct{})
		defer close(release) // net/http may finish a dial after its request is gone
		stuck := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			close(dialing)
			select {
			case <-ctx.Done():
			case <-release:
			}
			return nil, errors.New("no connection")
		}}
		c := e.newClient(t, c2.WithHTTPClient(&http.Client{Transport: stuck}))
		select {
		case <-dialing:
		case <-time.After(waitLimit):
			t.Fatal("the rotation never started")
		}
		closeWithin(t, c)
		if !e.fake.Valid(e.token) || e.putCount() != 0 {
			t.Error("a rotation reached the server though Close cancelled it while connecting")
		}
	})
}

// A rotation that has gone out when Close is called may already have
// been applied: Close waits for its answer, which holds the only copy of
// the new token, and the token is stored for the next run.
func TestCloseKeepsTheAnswerOfASentRotation(t *testing.T) {
	e := setup(t, c2test.Options{})
	file := filepath.Join(t.TempDir(), "c2-token.json")
	release := make(chan struct{})
	arrived := make(chan struct{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Block: release, Count: 1,
		OnMatch: func() { close(arrived) }})
	c := e.newClient(t, c2.WithStoreFile(file))
	select {
	case <-arrived:
	case <-time.After(waitLimit):
		t.Fatal("the rotation never reached the server")
	}
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	close(release) // the server answers while Close waits
	select {
	case <-closed:
	case <-time.After(waitLimit):
		t.Fatalf("Close did not return within %v", waitLimit)
	}
	next, ok := e.fake.Successor(e.token)
	if !ok {
		t.Fatal("the server did not apply the rotation")
	}
	// The next run resumes from the rotated token.
	again := e.newClient(t, c2.WithStoreFile(file))
	if tok, err := again.Token(ctx(t)); err != nil || tok.AccessToken != next {
		t.Errorf("after Close during a rotation, the store does not hold the rotated token (%v)", err)
	}
}

// closeWithin fails unless c.Close returns promptly.
func closeWithin(t *testing.T, c *c2.Client) {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		c.Close()
		close(done)
	}()
	select {
	case <-done:
		t.Logf("Close returned in %v", time.Since(start))
	case <-time.After(waitLimit):
		t.Fatalf("Close did not return within %v", waitLimit)
	}
	if st := c.Status(); !st.Closed {
		t.Errorf("Status().Closed = false after Close")
	}
}

// Seed bug: a restarted notebook started again from the token it was given,
// which its first rotation had killed, so the user had to issue a new one.
// With a store, a restart resumes from the latest token.
func TestRestartKeepsTheRotatedToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	file := filepath.Join(t.TempDir(), "c2-token.json")
	first, err := c2.New(context.Background(), e.srv.URL, e.token, append(e.options(), c2.WithStoreFile(file))...)
	if err != nil {
		t.Fatal(err)
	}
	e.waitRotation(t)
	e.clk.Advance(e.nextWake(t).Sub(e.clk.Now()))
	latest := e.waitRotation(t).AccessToken
	first.Close()

	e.clk.Advance(10 * time.Minute) // the program is down for a while
	// The restarted program is given the same, now dead, token.
	second := e.newClient(t, c2.WithStoreFile(file))
	if tok, err := second.Token(ctx(t)); err != nil || tok.AccessToken != latest {
		t.Fatalf("Token() after restart = %v; want the latest rotated token", err)
	}
	if _, err := second.Drivers.List(ctx(t)); err != nil {
		t.Fatalf("Drivers.List after restart = %v", err)
	}
	// It rotates on the old schedule, counted from the last rotation.
	if next := e.nextWake(t); next.Sub(e.clk.Now()) > c2.DefaultRefreshInterval-10*time.Minute {
		t.Errorf("after restart the next rotation is in %v; want it counted from the last rotation", next.Sub(e.clk.Now()))
	}
	e.noRotation(t)
	if got := e.fake.Stats().Unauthorized; got != 0 {
		t.Errorf("server answered 401 %d times; want 0", got)
	}
}

// The seed's authenticate(api_root, token) started the thread and slept 5 s
// to show the new token. Authenticate returns once the first rotation has
// succeeded.
func TestAuthenticateWaitsForTheFirstRotation(t *testing.T) {
	e := setup(t, c2test.Options{})
	c, err := c2.Authenticate(ctx(t), e.srv.URL, e.token, e.options()...)
	if err != nil {
		t.Fatalf("Authenticate() = %v", err)
	}
	defer c.Close()
	if e.fake.Valid(e.token) {
		t.Error("Authenticate returned before the original token was rotated")
	}
	if tok, err := c.Token(ctx(t)); err != nil || !e.fake.Valid(tok.AccessToken) {
		t.Errorf("Token() after Authenticate = %v; want a valid token", err)
	}
}

// A first rotation that fails for a while keeps Authenticate waiting
// until it succeeds.
func TestAuthenticateWaitsThroughFailures(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 1})
	type result struct {
		c   *c2.Client
		err error
	}
	done := make(chan result, 1)
	actx := ctx(t)
	go func() {
		c, err := c2.Authenticate(actx, e.srv.URL, e.token, e.options()...)
		done <- result{c, err}
	}()
	e.retryAfter(t, c2.DefaultRetryInterval)
	var r result
	select {
	case r = <-done:
	case <-time.After(waitLimit):
		t.Fatalf("Authenticate did not return within %v of the successful retry", waitLimit)
	}
	if r.err != nil {
		t.Fatalf("Authenticate() = %v", r.err)
	}
	defer r.c.Close()
	if e.fake.Valid(e.token) || e.putCount() != 2 {
		t.Errorf("Authenticate returned before the retry rotated the token")
	}
}

// A revoked token fails Authenticate itself, with the way out.
func TestAuthenticateWithRevokedToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.Revoke(e.token)
	c, err := c2.Authenticate(ctx(t), e.srv.URL, e.token, e.options()...)
	if err == nil {
		c.Close()
		t.Fatal("Authenticate() with a revoked token = nil error")
	}
	if !errors.Is(err, c2.ErrTokenRejected) {
		t.Errorf("Authenticate() = %v; want ErrTokenRejected", err)
	}
	mustContain(t, "Authenticate() error", err.Error(), e.srv.URL+"/charon/tokens/issue", "revoked")
	if got := e.putCount(); got != 1 {
		t.Errorf("rotation attempts = %d; want 1", got)
	}
}

// The seed asserted only that the token was not its placeholder; the
// client refuses every input that cannot work, before sending anything.
func TestNewRejectsBadInput(t *testing.T) {
	e := setup(t, c2test.Options{})
	tests := []struct {
		name        string
		root, token string
		opts        []c2.Option
		want        string
	}{
		{"empty token", e.srv.URL, "", nil, "token is empty"},
		{"placeholder", e.srv.URL, c2.Placeholder, nil, "placeholder"},
		{"angle brackets", e.srv.URL, "<your token>", nil, "placeholder"},
		{"space", e.srv.URL, "4641 07350f054dc599fa5b2550d11d49", nil, "spaces"},
		{"newline", e.srv.URL, e.token + "\n", nil, "line breaks"},
		{"control", e.srv.URL, "abc\x00def", nil, "control"},
		{"no scheme", "api.c2.noc.ac.uk", e.token, nil, "not an absolute"},
		{"relative", "/charon", e.token, nil, "not an absolute"},
		{"ftp", "ftp://api.c2.noc.ac.uk", e.token, nil, "not an absolute"},
		{"empty root", "", e.token, nil, "not an absolute"},
		{"plain http", "http://api.c2.noc.ac.uk", e.token, nil, "plain http"},
		{"user info", "https://me:pw@api.c2.noc.ac.uk", e.token, nil, "user name"},
		{"query", e.srv.URL + "?x=1", e.token, nil, "query"},
		{"zero interval", e.srv.URL, e.token, []c2.Option{c2.WithRefreshInterval(0)}, "positive"},
		{"negative interval", e.srv.URL, e.token, []c2.Option{c2.WithRefreshInterval(-time.Minute)}, "positive"},
		{"interval past lifetime", e.srv.URL, e.token, []c2.Option{c2.WithRefreshInterval(2 * time.Hour)}, "below"},
		{"zero retry interval", e.srv.URL, e.token, []c2.Option{c2.WithRetry(0, 3)}, "positive interval"},
		{"no retry attempts", e.srv.URL, e.token, []c2.Option{c2.WithRetry(time.Minute, 0)}, "at least one"},
		{"nil store", e.srv.URL, e.token, []c2.Option{c2.WithStore(nil)}, "WithStore(nil)"},
		{"store dir missing", e.srv.URL, e.token, []c2.Option{c2.WithStoreFile("/no/such/dir/t.json")}, "does not exist"},
		{"nil http client", e.srv.URL, e.token, []c2.Option{c2.WithHTTPClient(nil)}, "WithHTTPClient(nil)"},
		{"nil logger", e.srv.URL, e.token, []c2.Option{c2.WithLogger(nil)}, "WithLogger(nil)"},
		{"nil clock", e.srv.URL, e.token, []c2.Option{c2.WithClock(nil)}, "WithClock(nil)"},
		{"nil hook", e.srv.URL, e.token, []c2.Option{c2.WithOnRotate(nil)}, "WithOnRotate(nil)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := c2.New(context.Background(), tt.root, tt.token, tt.opts...)
			if err == nil {
				c.Close()
				t.Fatalf("New(%q, …) = nil error; want one mentioning %q", tt.root, tt.want)
			}
			mustContain(t, "New() error", err.Error(), tt.want)
		})
	}
	if n := len(e.fake.Stats().Requests); n != 0 {
		t.Errorf("the fake saw requests %v; want none", e.fake.Stats().Requests)
	}
}
