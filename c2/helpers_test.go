package c2_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"golang.org/x/oauth2"
)

// epoch is the time every fake clock starts at.
var epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// waitLimit bounds every wait on a goroutine or a server, so a broken test
// fails instead of hanging; passing tests never come near it.
const waitLimit = 10 * time.Second

// rotatePattern is the fake's route for Charon rotations, as Stats counts
// it.
const rotatePattern = "PUT /charon/tokens/{token}"

// env is a fake C2 on a fake clock, served over loopback, and what a test
// learns from a client of it.
type env struct {
	fake      *c2test.Server
	srv       *httptest.Server
	clk       *fakeclock.Clock
	token     string             // the token issued for the test
	rotations chan *oauth2.Token // each new token, from OnRotate
	logs      *syncbuf.Buffer    // what the clients and the fake logged
}

// setup serves a fake C2 whose clock is the test's fake clock, and issues
// a token. opts.Now and opts.Logger are set by setup. wrap, if not nil,
// wraps the fake's handler.
func setup(t *testing.T, opts c2test.Options, wrap ...func(http.Handler) http.Handler) *env {
	t.Helper()
	e := &env{clk: fakeclock.New(epoch), rotations: make(chan *oauth2.Token, 1000), logs: &syncbuf.Buffer{}}
	opts.Now = e.clk.Now
	opts.Logger = e.logger()
	e.fake = c2test.New(opts)
	var h http.Handler = e.fake
	for _, w := range wrap {
		h = w(h)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.token = e.fake.IssueToken()
	return e
}

// logger logs everything, at every level, into e.logs.
func (e *env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// options are the options every test client gets: the fake clock, the
// log, and OnRotate reporting to e.rotations.
func (e *env) options() []c2.Option {
	return []c2.Option{
		c2.WithClock(e.clk),
		c2.WithLogger(e.logger()),
		c2.WithOnRotate(func(_, n *oauth2.Token) { e.rotations <- n }),
	}
}

// newClient starts a client of the fake with e.token, closed at the end of
// the test.
func (e *env) newClient(t *testing.T, opts ...c2.Option) *c2.Client {
	t.Helper()
	c, err := c2.New(context.Background(), e.srv.URL, e.token, append(e.options(), opts...)...)
	if err != nil {
		t.Fatalf("New(%s) = %v", e.srv.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitRotation waits for the next rotation and returns the new token.
func (e *env) waitRotation(t *testing.T) *oauth2.Token {
	t.Helper()
	select {
	case tok := <-e.rotations:
		return tok
	case <-time.After(waitLimit):
		t.Fatalf("no rotation within %v", waitLimit)
		return nil
	}
}

// noRotation fails if a rotation was reported.
func (e *env) noRotation(t *testing.T) {
	t.Helper()
	select {
	case <-e.rotations:
		t.Fatal("unexpected rotation")
	default:
	}
}

// parkedAt waits until the client's loop sleeps on a timer whose deadline
// matches, and returns that deadline.
func (e *env) parkedAt(t *testing.T, what string, match func(time.Time) bool) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	d, err := e.clk.AwaitTimer(ctx, match)
	if err != nil {
		t.Fatalf("the client never planned %s: %v (now %v)", what, err, e.clk.Now())
	}
	return d
}

// nextWake waits until the loop sleeps on a timer after now, and returns
// its deadline.
func (e *env) nextWake(t *testing.T) time.Time {
	t.Helper()
	now := e.clk.Now()
	return e.parkedAt(t, "its next wake-up", func(d time.Time) bool { return d.After(now) })
}

// expectRetry waits for the loop to plan its next attempt and fails
// unless it is exactly wait from now. The attempt before has then ended.
func (e *env) expectRetry(t *testing.T, wait time.Duration) {
	t.Helper()
	want := e.clk.Now().Add(wait)
	got := e.nextWake(t)
	if !got.Equal(want) {
		t.Fatalf("next attempt planned at now+%v; want now+%v", got.Sub(e.clk.Now()), wait)
	}
}

// retryWithin expects the next attempt between lo and hi from now, and
// moves the clock there to start it.
func (e *env) retryWithin(t *testing.T, lo, hi time.Duration) {
	t.Helper()
	now := e.clk.Now()
	got := e.nextWake(t).Sub(now)
	if got < lo || got > hi {
		t.Fatalf("next attempt planned at now+%v; want within [%v, %v]", got, lo, hi)
	}
	e.clk.Advance(got)
}

// retryAfter expects the next attempt wait from now, and moves the clock
// there to start it.
func (e *env) retryAfter(t *testing.T, wait time.Duration) {
	t.Helper()
	e.expectRetry(t, wait)
	e.clk.Advance(wait)
}

// waitLost waits until the client reports its token lost, and returns
// why.
func waitLost(t *testing.T, c *c2.Client) error {
	t.Helper()
	select {
	case <-c.Lost():
		return c.Err()
	case <-time.After(waitLimit):
		t.Fatalf("the token was not reported lost within %v; status %+v", waitLimit, c.Status())
		return nil
	}
}

// putCount returns how many rotations the fake was asked for.
func (e *env) putCount() int { return e.fake.Stats().Requests[rotatePattern] }

// chain returns token and every token that rotations made from it.
func (e *env) chain(token string) []string {
	out := []string{token}
	for {
		next, ok := e.fake.Successor(out[len(out)-1])
		if !ok {
			return out
		}
		out = append(out, next)
	}
}

// ctx returns a context bounded by waitLimit.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return c
}

// mustContain fails unless s contains every one of want.
func mustContain(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s = %q; want it to contain %q", what, s, w)
		}
	}
}
