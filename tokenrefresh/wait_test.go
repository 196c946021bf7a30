package tokenrefresh_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/hostiletest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// The tests in this file attack the promise that a token never makes a
// caller wait: while a usable token exists no caller waits at all (each
// calls Token with a context already cancelled, which a waiting caller
// would return as its error), a caller that needs a new token waits
// within its own context only, every background attempt ends by
// Config.AttemptTimeout, and Close by Config.CloseGrace, whatever the
// token server does.

// fetchFrom returns a RefreshFunc that posts to url and reads the whole
// answer, as a token client does, on the attempt's context.
func fetchFrom(url string) tokenrefresh.RefreshFunc {
	return func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("grant_type=client_credentials"))
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		var tok oauth2.Token
		if err := json.Unmarshal(body, &tok); err != nil {
			return nil, err
		}
		return &tok, nil
	}
}

// await waits for one value on ch, failing t after waitLimit.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("%s: not within %v", what, waitLimit)
		var zero T
		return zero
	}
}

// cancelled is a context already done: Token returns it as its error if
// it would wait at all.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// hostileRefresher starts a Refresher on a fake clock whose token,
// obtained at epoch, expires an hour later, refreshed from url.
func hostileRefresher(t *testing.T, url string, cfg tokenrefresh.Config) (*tokenrefresh.Refresher, *fakeclock.Clock, chan tokenrefresh.Event) {
	t.Helper()
	clk := newClock()
	obs, evs := eventtest.Channel()
	cfg.Clock, cfg.Observer, cfg.Refresh, cfg.Jitter = clk, obs, fetchFrom(url), -1
	cfg.Initial = secret.New(&oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Hour)})
	r, err := tokenrefresh.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r, clk, evs
}

// staleCallers calls Token n times at once, each with a context already
// done, and fails t unless every call returned the token old at once.
func staleCallers(t *testing.T, r *tokenrefresh.Refresher, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			tok, err := r.Token(cancelled())
			if err == nil && tok.AccessToken != "old" {
				err = fmt.Errorf("token %q; want the still valid %q", tok.AccessToken, "old")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Token() while a usable token exists and an attempt hangs = %v; want the token at once", err)
		}
	}
}

// deadCallerGivesUp calls Token for a dead token, ends the call's context,
// and fails t unless Token then returns the context's error.
func deadCallerGivesUp(t *testing.T, r *tokenrefresh.Refresher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	returned := make(chan error, 1)
	go func() {
		_, err := r.Token(ctx)
		returned <- err
	}()
	cancel()
	if err := await(t, returned, "Token() of a dead token after its context ended"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Token() of a dead token after its context ended = %v; want context.Canceled", err)
	}
}

// While an attempt hangs on each hostile endpoint, callers of a still
// valid token never wait; a caller of a dead one waits only until its own
// context ends, not for the attempt; the attempt ends by AttemptTimeout.
func TestHostileTokenEndpointNeverHoldsACaller(t *testing.T) {
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			h := hostiletest.Start(t, b)
			r, clk, _ := hostileRefresher(t, h.URL, tokenrefresh.Config{AttemptTimeout: time.Hour, CloseGrace: 100 * time.Millisecond})

			clk.Advance(59 * time.Minute) // stale: due, still valid
			staleCallers(t, r, 200)
			await(t, h.Arrived, "the stale token's refresh reaching the endpoint")
			staleCallers(t, r, 200) // the attempt hangs meanwhile

			clk.Advance(time.Hour) // dead: callers must wait, within their ctx
			deadCallerGivesUp(t, r)
			select {
			case <-h.Gone:
				t.Fatal("the attempt ended before the caller returned: the caller waited for it")
			default:
			}
			select {
			case <-h.Arrived:
				t.Error("token endpoint called twice; want once")
			default:
			}
		})
	}
}

// Each hostile endpoint's attempt ends by AttemptTimeout, is reported
// Failed, and is retried: no attempt hangs the loop.
func TestHostileTokenEndpointAttemptsEndByTheirTimeout(t *testing.T) {
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			h := hostiletest.Start(t, b)
			r, clk, evs := hostileRefresher(t, h.URL, tokenrefresh.Config{AttemptTimeout: 200 * time.Millisecond})
			clk.Advance(59 * time.Minute)
			staleCallers(t, r, 1) // nudges the refresh
			await(t, h.Arrived, "the attempt reaching the endpoint")
			e := eventtest.Wait(t, evs, tokenrefresh.Failed)
			if !errors.Is(e.Err, context.DeadlineExceeded) {
				t.Errorf("Failed event's error = %v; want the attempt's deadline", e.Err)
			}
			await(t, h.Gone, "the endpoint seeing the client go")
			staleCallers(t, r, 50) // still served after the failure
		})
	}
}

// Close with an attempt hanging on each hostile endpoint returns once
// CloseGrace has passed, not after AttemptTimeout (an hour), and the
// endpoint sees the client go.
func TestHostileTokenEndpointDoesNotHoldClose(t *testing.T) {
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			h := hostiletest.Start(t, b)
			r, clk, evs := hostileRefresher(t, h.URL, tokenrefresh.Config{AttemptTimeout: time.Hour, CloseGrace: 100 * time.Millisecond})
			clk.Advance(59 * time.Minute)
			staleCallers(t, r, 1)
			await(t, h.Arrived, "the attempt reaching the endpoint")
			closed := make(chan struct{})
			go func() {
				r.Close()
				close(closed)
			}()
			await(t, closed, "Close with an attempt hanging, AttemptTimeout an hour, CloseGrace 100 ms")
			await(t, h.Gone, "the endpoint seeing the client go")
			eventtest.Wait(t, evs, tokenrefresh.Failed)
			if tok, err := r.Token(cancelled()); err != nil || tok.AccessToken != "old" {
				t.Errorf("Token() after Close, token still valid = %v, %v; want it at once", tok, err)
			}
		})
	}
}

// Hundreds of callers meet a token that expires exactly now and a token
// endpoint that answers only when the test lets it: one refresh runs;
// callers whose context ends meanwhile return their context's error at
// once, the others get the new token when it comes.
func TestManyCallersAtExpiryShareOneSlowRefresh(t *testing.T) {
	const callers, impatient = 300, 100
	release := make(chan struct{})
	arrived := make(chan struct{}, 100)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"new","token_type":"Bearer","expiry":"2026-11-23T15:00:00Z"}`)
	}))
	defer srv.Close()
	r, clk, _ := hostileRefresher(t, srv.URL, tokenrefresh.Config{AttemptTimeout: time.Hour})
	clk.Advance(time.Hour) // the expiry, exactly

	patientCtx, stop := context.WithTimeout(context.Background(), waitLimit)
	defer stop()
	impatientCtx, giveUp := context.WithCancel(context.Background())
	results := make(chan error, callers)
	for i := range callers {
		ctx := patientCtx
		if i < impatient {
			ctx = impatientCtx
		}
		go func() {
			tok, err := r.Token(ctx)
			if err == nil && tok.AccessToken != "new" {
				err = fmt.Errorf("token %q; want %q", tok.AccessToken, "new")
			}
			results <- err
		}()
	}
	await(t, arrived, "the refresh reaching the endpoint")
	giveUp()
	for range impatient {
		if err := await(t, results, "an impatient caller after its context ended"); !errors.Is(err, context.Canceled) {
			t.Fatalf("impatient Token() = %v; want context.Canceled", err)
		}
	}
	close(release)
	for range callers - impatient {
		if err := await(t, results, "a patient caller"); err != nil {
			t.Fatalf("patient Token() = %v", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("token endpoint called %d times by %d callers; want 1", n, callers)
	}
}

// blockingHandler is a slog handler whose every record blocks until
// release is closed, reporting on entered first: a log shipper that hangs.
type blockingHandler struct {
	entered chan struct{}
	release chan struct{}
}

func (h blockingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h blockingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h blockingHandler) WithGroup(string) slog.Handler            { return h }
func (h blockingHandler) Handle(context.Context, slog.Record) error {
	h.entered <- struct{}{}
	<-h.release
	return nil
}

// An Observer or a Logger that blocks stalls the loop, which calls them,
// but no caller of Token: a valid token is still served at once, fresh or
// stale, and a caller of a dead one returns when its context ends.
func TestBlockedObserverOrLoggerHoldsNoCaller(t *testing.T) {
	for _, which := range []string{"Observer", "Logger"} {
		t.Run(which, func(t *testing.T) {
			clk := newClock()
			src := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
				return &oauth2.Token{AccessToken: "old", Expiry: clk.Now().Add(time.Hour)}, nil
			})
			block := blockingHandler{entered: make(chan struct{}, 100), release: make(chan struct{})}
			cfg := tokenrefresh.Config{Clock: clk,
				Initial: secret.New(&oauth2.Token{AccessToken: "old", Expiry: epoch.Add(time.Hour)})}
			if which == "Observer" {
				cfg.Observer = tokenrefresh.ObserverFunc(func(tokenrefresh.Event) { block.Handle(context.Background(), slog.Record{}) })
			} else {
				cfg.Logger = slog.New(block)
			}
			r, _ := setup(t, cfg, src)
			defer close(block.release) // before Close, which waits for the loop

			clk.Advance(59 * time.Minute)
			staleCallers(t, r, 1)                         // nudges the refresh
			await(t, block.entered, "the loop reporting") // and the loop blocks in the Observer or Logger
			staleCallers(t, r, 200)                       // the refreshed token, served at once
			clk.Advance(59 * time.Minute)                 // stale again: the loop cannot come
			staleCallers(t, r, 200)
			clk.Advance(time.Hour) // dead
			deadCallerGivesUp(t, r)
		})
	}
}
