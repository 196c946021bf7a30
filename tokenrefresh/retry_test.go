package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// While the token is dead and callers wait, attempts come every second
// (or as the server's Retry-After asks), not on the long backoff that
// spares the server while a valid token is still served; and a caller
// waits across the failed attempts while its context has time.
func TestDeadTokenIsRetriedEverySecondWhileCallersWait(t *testing.T) {
	for _, tt := range []struct {
		asked, want time.Duration
	}{
		{0, time.Second},
		{3 * time.Second, 3 * time.Second},
	} {
		t.Run(fmt.Sprintf("Retry-After %v", tt.asked), func(t *testing.T) {
			clk := newClock()
			const failures = 5
			src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
				if n <= failures {
					return nil, retryAfterErr{tt.asked}
				}
				return &oauth2.Token{AccessToken: "new", Expiry: clk.Now().Add(time.Hour)}, nil
			})
			obs, evs := eventtest.Channel()
			initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Minute)}
			var logs syncbuf.Buffer
			t.Cleanup(func() {
				if t.Failed() {
					t.Log(logs.String())
				}
			})
			r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Observer: obs, Logger: newTestLogger(&logs),
				RetryMin: time.Minute, RetryMax: 10 * time.Minute}, src)
			clk.Advance(time.Minute) // the token dies
			waiter := asyncToken(context.Background(), r)
			for i := 1; i <= failures; i++ {
				ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
				if ev.Retry.Sub(ev.At) < 30*time.Second {
					t.Fatalf("failure %d: the backoff planned %v; want at least RetryMin/2", i, ev.Retry.Sub(ev.At))
				}
				// The caller waits: the loop plans the quick retry instead.
				quick := ev.At.Add(tt.want)
				awaitTimer(t, clk, "the quick retry", func(d time.Time) bool { return d.Equal(quick) })
				clk.Advance(quick.Sub(clk.Now()))
			}
			got(t, waiter, "new")
		})
	}
}

// With nobody waiting, a dead token is retried on the backoff.
func TestDeadTokenWithoutCallersKeepsTheBackoff(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) { return nil, errors.New("503") })
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Minute)}
	setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Observer: obs,
		Backoff: func(int, time.Duration) time.Duration { return 7 * time.Minute }}, src)
	clk.Advance(time.Minute)
	ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
	if gap := ev.Retry.Sub(ev.At); gap != 7*time.Minute {
		t.Errorf("retry planned %v after the failure; want the 7m Config.Backoff gave", gap)
	}
	now := clk.Now()
	if next := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(now) }); !next.Equal(ev.Retry) {
		t.Errorf("the loop wakes at %v; want %v", next, ev.Retry)
	}
}

// Config.Backoff decides the wait while the token is valid; the failures
// are counted for it.
func TestBackoffPolicyIsAsked(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) { return nil, retryAfterErr{42 * time.Second} })
	var asked []string
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(24 * time.Hour)}
	setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Observer: obs, EarlyWindow: time.Hour,
		Backoff: func(n int, server time.Duration) time.Duration {
			asked = append(asked, fmt.Sprintf("%d/%v", n, server))
			return time.Duration(n) * 10 * time.Second
		}}, src)
	at := parked(t, clk)
	clk.Advance(at.Sub(clk.Now()))
	for i := 1; i <= 3; i++ {
		ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
		if gap := ev.Retry.Sub(ev.At); gap != time.Duration(i)*10*time.Second {
			t.Fatalf("failure %d: retry after %v; want %v", i, gap, time.Duration(i)*10*time.Second)
		}
		now := clk.Now()
		awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.Equal(ev.Retry) })
		clk.Advance(ev.Retry.Sub(now))
	}
	eventtest.Wait(t, evs, tokenrefresh.Failed)
	if want := "[1/42s 2/42s 3/42s 4/42s]"; fmt.Sprint(asked) != want {
		t.Errorf("Backoff asked %v; want %v", asked, want)
	}
}

// A server that rejects every token gets a bounded number of
// replacements: a rejection within the limit keeps the token, so the
// caller gets the server's answer at once rather than wait.
func TestRejectionsReplaceTheTokenAtABoundedRate(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: clk.Now().Add(time.Hour)}, nil
	})
	obs, evs := eventtest.Channel()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Observer: obs}, src)
	for i := range 40 {
		tok := mustToken(t, r)
		r.Invalidate(tok) // the server answered 401
		if i == 0 {
			eventtest.Wait(t, evs, tokenrefresh.Rejected)
			continue
		}
		eventtest.Wait(t, evs, tokenrefresh.RejectionLimited)
		if again := mustToken(t, r); again != tok {
			t.Fatalf("request %d: Token() after a limited rejection = %q; want %q kept", i, again.AccessToken, tok.AccessToken)
		}
		clk.Advance(10 * time.Millisecond)
	}
	if n := src.Calls(); n != 2 {
		t.Errorf("40 rejected requests in 0.4 s made %d token calls; want 2 (the first token, one replacement)", n)
	}
	// A second later the token may be replaced again.
	clk.Advance(time.Second)
	r.Invalidate(mustToken(t, r))
	eventtest.Wait(t, evs, tokenrefresh.Rejected)
	if tok := mustToken(t, r); tok.AccessToken != "tok-3" {
		t.Errorf("Token() after the limit = %q; want tok-3", tok.AccessToken)
	}
}
