package tokenrefresh_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// waitLimit bounds every wait on a goroutine, so a broken test fails
// instead of hanging; passing tests never come near it.
const waitLimit = 10 * time.Second

// source is a RefreshFunc that counts its calls and answers from a script.
type source struct {
	mu     sync.Mutex // guards calls, answer
	calls  int
	answer func(n int, current *oauth2.Token) (*oauth2.Token, error)
	called chan *oauth2.Token // receives current on each call
}

func newSource(answer func(n int, current *oauth2.Token) (*oauth2.Token, error)) *source {
	return &source{answer: answer, called: make(chan *oauth2.Token, 10000)}
}

func (s *source) refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	s.calls++
	n, answer := s.calls, s.answer
	s.mu.Unlock()
	s.called <- current
	return answer(n, current)
}

func (s *source) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// waitCall waits for the next call of the source.
func (s *source) waitCall(t *testing.T) *oauth2.Token {
	t.Helper()
	select {
	case cur := <-s.called:
		return cur
	case <-time.After(waitLimit):
		t.Fatalf("refresh was not called within %v", waitLimit)
		return nil
	}
}

// expiring answers tokens "tok-N" that expire lifetime after clk's now.
func expiring(clk *fakeclock.Clock, lifetime time.Duration) func(int, *oauth2.Token) (*oauth2.Token, error) {
	return func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: clk.Now().Add(lifetime)}, nil
	}
}

// rotating answers tokens "rot-N" without expiry.
func rotating(n int, _ *oauth2.Token) (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: fmt.Sprintf("rot-%d", n)}, nil
}

// setup builds a Refresher on a fake clock, closed at the end of the test.
func setup(t *testing.T, cfg tokenrefresh.Config, src *source) (*tokenrefresh.Refresher, *fakeclock.Clock) {
	t.Helper()
	clk, ok := cfg.Clock.(*fakeclock.Clock)
	if !ok {
		clk = fakeclock.New(epoch)
		cfg.Clock = clk
	}
	cfg.Refresh = src.refresh
	if cfg.Jitter == 0 {
		cfg.Jitter = -1
	}
	r, err := tokenrefresh.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, clk
}

// mustToken calls Token with a bounded context and fails the test on error.
func mustToken(t *testing.T, r *tokenrefresh.Refresher) *oauth2.Token {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	tok, err := r.Token(ctx)
	if err != nil {
		t.Fatalf("Token() = %v", err)
	}
	return tok
}

// parked waits until the refresher's loop sleeps on a timer, then returns
// that timer's deadline.
func parked(t *testing.T, clk *fakeclock.Clock) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the refresher loop never parked on a timer: %v", err)
	}
	d, _ := clk.NextDeadline()
	return d
}

// awaitTimer waits until the loop has a timer whose deadline matches.
func awaitTimer(t *testing.T, clk *fakeclock.Clock, what string, match func(time.Time) bool) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	d, err := clk.AwaitTimer(ctx, match)
	if err != nil {
		t.Fatalf("no timer for %s: %v", what, err)
	}
	return d
}

// rotations returns an OnRotate hook and the channel it reports new tokens on.
func rotations() (func(old, new *oauth2.Token), chan *oauth2.Token) {
	ch := make(chan *oauth2.Token, 10000)
	return func(_, n *oauth2.Token) { ch <- n }, ch
}

// waitRotation waits for the next published token.
func waitRotation(t *testing.T, ch chan *oauth2.Token) *oauth2.Token {
	t.Helper()
	select {
	case tok := <-ch:
		return tok
	case <-time.After(waitLimit):
		t.Fatalf("no rotation within %v", waitLimit)
		return nil
	}
}

func newClock() *fakeclock.Clock { return fakeclock.New(epoch) }

// waitLost waits until r reports its token lost, and returns why.
func waitLost(t *testing.T, r *tokenrefresh.Refresher) error {
	t.Helper()
	select {
	case <-r.Lost():
		return r.Err()
	case <-time.After(waitLimit):
		t.Fatalf("the token was not reported lost within %v; status %+v", waitLimit, r.Status())
		return nil
	}
}

// newTestLogger logs text to w, at every level.
func newTestLogger(w *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
