package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

func TestNewRejectsBadConfig(t *testing.T) {
	ok := func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil }
	tests := []struct {
		name string
		cfg  tokenrefresh.Config
		want string
	}{
		{"no refresh", tokenrefresh.Config{}, "Refresh is required"},
		{"negative interval", tokenrefresh.Config{Refresh: ok, Interval: -time.Minute}, "Interval"},
		{"jitter too big", tokenrefresh.Config{Refresh: ok, Jitter: 1}, "Jitter"},
		{"empty initial", tokenrefresh.Config{Refresh: ok, Initial: secret.New(&oauth2.Token{})}, "empty AccessToken"},
		{"min above max", tokenrefresh.Config{Refresh: ok, RetryMin: time.Minute, RetryMax: time.Second}, "RetryMin"},
		{"negative fence", tokenrefresh.Config{Refresh: ok, Fence: -time.Second}, "negative"},
		{"fence too long", tokenrefresh.Config{Refresh: ok, Interval: time.Minute, Fence: 30 * time.Second}, "Fence"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tokenrefresh.New(context.Background(), tt.cfg)
			if err == nil {
				r.Close()
				t.Fatalf("New(%s) = nil error; want one mentioning %q", tt.name, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New(%s) = %q; want it to mention %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestFreshTokenIsServedWithoutRefreshOrAllocation(t *testing.T) {
	src := newSource(rotating)
	initial := &oauth2.Token{AccessToken: "start", Expiry: epoch.Add(time.Hour)}
	r, _ := setup(t, tokenrefresh.Config{Initial: secret.New(initial)}, src)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if tok, err := r.Token(ctx); err != nil || tok.AccessToken != "start" {
			t.Fatalf("Token() = %v, %v; want start", tok, err)
		}
	})
	if allocs != 0 {
		t.Errorf("Token() on a fresh token allocates %v times; want 0", allocs)
	}
	if n := src.Calls(); n != 0 {
		t.Errorf("refresh called %d times for a fresh token; want 0", n)
	}
}

func TestEarlyWindowScalesWithLifetime(t *testing.T) {
	tests := []struct {
		lifetime, wantAt time.Duration
	}{
		{15 * time.Minute, 15*time.Minute - 15*time.Minute/4}, // 11m15s, never 4 minutes in
		{time.Hour, 55 * time.Minute},                         // capped window: 5 minutes
		{time.Minute, 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.lifetime.String(), func(t *testing.T) {
			src := newSource(rotating)
			r, clk := setup(t, tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "a"})}, src)
			_ = r
			// The initial token has no expiry; give the refresher one with it.
			r.Close()
			src = newSource(expiring(clk, tt.lifetime))
			r, _ = setup(t, tokenrefresh.Config{Clock: clk}, src)
			mustToken(t, r) // first token: fetched at once
			got := parked(t, clk)
			if want := epoch.Add(tt.wantAt); !got.Equal(want) {
				t.Errorf("refresh of a %v token planned at %v in; want %v", tt.lifetime, got.Sub(epoch), tt.wantAt)
			}
		})
	}
}

func TestJitterBringsRefreshForwardWithinBound(t *testing.T) {
	clk := newClock()
	src := newSource(expiring(clk, time.Hour))
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Jitter: 0.5}, src)
	mustToken(t, r)
	got := parked(t, clk).Sub(epoch)
	if got > 55*time.Minute || got < 55*time.Minute-150*time.Second {
		t.Errorf("jittered refresh at %v; want within [52m30s, 55m]", got)
	}
}

func TestStaleTokenIsServedWhileOneRefreshRuns(t *testing.T) {
	clk := newClock()
	release := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-release
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: clk.Now().Add(time.Hour)}, nil
	})
	onRotate, rotated := rotations()
	initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(10 * time.Minute)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), OnRotate: onRotate}, src)
	parked(t, clk)
	clk.Advance(8 * time.Minute) // inside the 2m30s early window
	src.waitCall(t)              // the refresh is running and blocked

	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok := mustToken(t, r); tok.AccessToken != "old" {
				t.Errorf("Token() during refresh = %q; want the still valid %q", tok.AccessToken, "old")
			}
		}()
	}
	wg.Wait() // no caller waited for the refresh
	close(release)
	if tok := waitRotation(t, rotated); tok.AccessToken != "tok-1" {
		t.Fatalf("rotated to %q; want tok-1", tok.AccessToken)
	}
	if tok := mustToken(t, r); tok.AccessToken != "tok-1" {
		t.Errorf("Token() after refresh = %q; want tok-1", tok.AccessToken)
	}
	if n := src.Calls(); n != 1 {
		t.Errorf("refresh called %d times; want 1", n)
	}
}

func TestExpiredTokenCallersShareOneRefresh(t *testing.T) {
	clk := newClock()
	release := make(chan struct{})
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-release
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", n), Expiry: clk.Now().Add(time.Hour)}, nil
	})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk}, src)
	src.waitCall(t) // no token at all: the loop fetches at once

	const callers = 1000
	var wg sync.WaitGroup
	results := make(chan string, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- mustToken(t, r).AccessToken
		}()
	}
	close(release)
	wg.Wait()
	close(results)
	for got := range results {
		if got != "tok-1" {
			t.Fatalf("a caller got %q; want tok-1", got)
		}
	}
	if n := src.Calls(); n != 1 {
		t.Errorf("refresh called %d times for %d waiting callers; want 1", n, callers)
	}
}

func TestWaitingCallerHonoursItsContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		<-release
		return nil, errors.New("never")
	})
	r, _ := setup(t, tokenrefresh.Config{}, src)
	src.waitCall(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func TestFailedRefreshKeepsServingAndBacksOff(t *testing.T) {
	clk := newClock()
	fails := 4
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if n <= fails {
			return nil, errors.New("503 service unavailable")
		}
		return &oauth2.Token{AccessToken: "new", Expiry: clk.Now().Add(time.Hour)}, nil
	})
	onRotate, rotated := rotations()
	initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Hour)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), OnRotate: onRotate,
		RetryMin: time.Second, RetryMax: 8 * time.Second}, src)
	at := parked(t, clk)
	clk.Advance(at.Sub(clk.Now()))
	var gaps []time.Duration
	for i := 1; i <= fails; i++ {
		src.waitCall(t)
		prev := clk.Now()
		next := awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(prev) })
		gaps = append(gaps, next.Sub(prev))
		if tok := mustToken(t, r); tok.AccessToken != "old" {
			t.Fatalf("Token() after %d failures = %q; want the still valid old token", i, tok.AccessToken)
		}
		if st := r.Status(); st.ConsecutiveFailures != i || st.Healthy || !st.Valid {
			t.Fatalf("Status() after %d failures = %+v", i, st)
		}
		clk.Advance(next.Sub(prev))
	}
	if tok := waitRotation(t, rotated); tok.AccessToken != "new" {
		t.Fatalf("rotated to %q; want new", tok.AccessToken)
	}
	// Equal jitter: attempt i waits in [d/2, d) with d = 1s, 2s, 4s, 8s.
	for i, g := range gaps {
		d := time.Second << i
		if g < d/2 || g >= d {
			t.Errorf("retry %d waited %v; want in [%v, %v)", i+1, g, d/2, d)
		}
	}
	if st := r.Status(); !st.Healthy || st.ConsecutiveFailures != 0 || st.LastError != "" {
		t.Errorf("Status() after recovery = %+v; want healthy", st)
	}
}

type retryAfterErr struct{ d time.Duration }

func (e retryAfterErr) Error() string             { return "429 too many requests" }
func (e retryAfterErr) RetryAfter() time.Duration { return e.d }

func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	for _, tt := range []struct{ asked, want time.Duration }{
		{30 * time.Second, 30 * time.Second},
		{time.Hour, 2 * time.Minute}, // capped at RetryMax
	} {
		clk := newClock()
		src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
			return nil, retryAfterErr{tt.asked}
		})
		initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(24 * time.Hour)}
		r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), EarlyWindow: time.Hour, RetryMax: 2 * time.Minute}, src)
		at := parked(t, clk)
		clk.Advance(at.Sub(clk.Now()))
		src.waitCall(t)
		now := clk.Now()
		next := awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(now) })
		if got := next.Sub(now); got != tt.want {
			t.Errorf("Retry-After %v: retried after %v; want %v", tt.asked, got, tt.want)
		}
		r.Close()
	}
}

func TestPermanentErrorStopsRetries(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		return nil, tokenrefresh.Permanent(errors.New("401: token revoked; issue a new one"))
	})
	initial := &oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Hour)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial)}, src)
	at := parked(t, clk)
	clk.Advance(at.Sub(clk.Now()))
	src.waitCall(t)
	if err := waitLost(t, r); !strings.Contains(err.Error(), "issue a new one") {
		t.Errorf("Err() = %v; want the permanent error", err)
	}
	if st := r.Status(); !st.Permanent {
		t.Errorf("Status() after Lost = %+v; want Permanent", st)
	}
	clk.Advance(10 * time.Minute) // the old token has now expired
	_, err := r.Token(context.Background())
	if !tokenrefresh.IsPermanent(err) || !strings.Contains(err.Error(), "issue a new one") {
		t.Errorf("Token() after a permanent failure = %v; want the permanent error", err)
	}
	if n := src.Calls(); n != 1 {
		t.Errorf("refresh called %d times after a permanent error; want 1", n)
	}
	if clk.Timers() != 0 {
		t.Errorf("a retry is still scheduled after a permanent error")
	}
}

func TestInvalidateOnlyActsOnTheCurrentToken(t *testing.T) {
	clk := newClock()
	src := newSource(expiring(clk, time.Hour))
	r, _ := setup(t, tokenrefresh.Config{Clock: clk}, src)
	first := mustToken(t, r)
	r.Invalidate(&oauth2.Token{AccessToken: "someone-else"})
	r.Invalidate(nil)
	if tok := mustToken(t, r); tok != first {
		t.Fatalf("Token() after invalidating another token = %q; want %q", tok.AccessToken, first.AccessToken)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Invalidate(first)
			if tok := mustToken(t, r); tok.AccessToken == first.AccessToken {
				t.Errorf("Token() after Invalidate returned the rejected token")
			}
		}()
	}
	wg.Wait()
	if n := src.Calls(); n != 2 {
		t.Errorf("refresh called %d times; want 2 (first token, one replacement)", n)
	}
}

func TestFixedIntervalRotatesHundredsOfTimes(t *testing.T) {
	clk := newClock()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		want := "initial"
		if n > 1 {
			want = fmt.Sprintf("rot-%d", n-1)
		}
		if cur == nil || cur.AccessToken != want {
			return nil, tokenrefresh.Permanent(fmt.Errorf("rotation %d got current %v; want %s", n, cur, want))
		}
		return &oauth2.Token{AccessToken: fmt.Sprintf("rot-%d", n)}, nil
	})
	onRotate, rotated := rotations()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(&oauth2.Token{AccessToken: "initial"}),
		Interval: 55 * time.Minute, OnRotate: onRotate}, src)
	waitRotation(t, rotated) // unknown age: rotated at once
	const rotations = 300
	for i := 2; i <= rotations; i++ {
		now := clk.Now()
		at := awaitTimer(t, clk, "next rotation", func(d time.Time) bool { return d.After(now) })
		if gap := at.Sub(now); gap != 55*time.Minute {
			t.Fatalf("rotation %d planned %v after the last; want 55m", i, gap)
		}
		clk.Advance(55 * time.Minute)
		if tok := waitRotation(t, rotated); tok.AccessToken != fmt.Sprintf("rot-%d", i) {
			t.Fatalf("rotation %d gave %q", i, tok.AccessToken)
		}
		if tok := mustToken(t, r); tok.AccessToken != fmt.Sprintf("rot-%d", i) {
			t.Fatalf("Token() after rotation %d = %q", i, tok.AccessToken)
		}
	}
	if st := r.Status(); !st.Healthy || st.ConsecutiveFailures != 0 {
		t.Errorf("Status() after %d rotations = %+v", rotations, st)
	}
}

func TestCloseIsIdempotentAndStopsRefreshing(t *testing.T) {
	src := newSource(rotating)
	r, _ := setup(t, tokenrefresh.Config{}, src)
	src.waitCall(t)
	r.Close()
	r.Close()
	if st := r.Status(); !st.Closed {
		t.Errorf("Status().Closed = false after Close")
	}
	r.Invalidate(mustToken(t, r))
	if _, err := r.Token(context.Background()); !errors.Is(err, tokenrefresh.ErrClosed) {
		t.Errorf("Token() after Close on an invalid token = %v; want ErrClosed", err)
	}
}

func TestSecretsNeverReachStatusOrLogs(t *testing.T) {
	const canaryToken = "canary-SECRET-0123456789"
	clk := newClock()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		return nil, fmt.Errorf("server said: bad token %s", cur.AccessToken)
	})
	var logs syncbuf.Buffer
	logger := newTestLogger(&logs)
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: canaryToken, Expiry: epoch.Add(time.Hour)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Logger: logger, Observer: obs}, src)
	at := parked(t, clk)
	clk.Advance(at.Sub(clk.Now()))
	src.waitCall(t)
	ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
	st := r.Status()
	r.Close()
	if msg := fmt.Sprintf("%v %+v", ev, ev); strings.Contains(msg, canaryToken) {
		t.Errorf("the Failed event carries the token: %s", msg)
	}
	if strings.Contains(st.LastError, canaryToken) || !strings.Contains(st.LastError, "REDACTED") {
		t.Errorf("Status().LastError = %q; want the token redacted", st.LastError)
	}
	if strings.Contains(logs.String(), canaryToken) {
		t.Errorf("logs contain the token: %s", logs.String())
	}
}

// BenchmarkTokenFresh measures the fresh path: one atomic load, a clock
// read, two comparisons, no allocation.
// Run: go test -run '^$' -bench TokenFresh -benchmem ./tokenrefresh
func BenchmarkTokenFresh(b *testing.B) {
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{
		Refresh: rotatingFunc,
		Initial: secret.New(&oauth2.Token{AccessToken: "start", Expiry: time.Now().Add(time.Hour)}),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func rotatingFunc(context.Context, *oauth2.Token) (*oauth2.Token, error) { return rotating(1, nil) }
