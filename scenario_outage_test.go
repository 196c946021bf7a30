package bearer_test

// Scenarios of a dead token, with counts: the token dies during an outage
// of the token endpoint, and an API rejects every token. bearer (asserting
// its targets) and x/oauth2 (logging its counts) run side by side.
// Run: go test -run 'Scenario(TokenDies|Rejects)' -v .   Figures: docs/benchmarks.md.

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// The outage, in real time from the first token: the token lives 12 s;
// the token endpoint answers 503 with Retry-After: 1 from 1 s to 16 s, so
// the token dies in the middle of it; 50 callers ask for a token every
// 20 ms, each waiting at most those 20 ms; watched until 19 s.
const (
	outageLifetime = 12 * time.Second
	outageDown     = time.Second
	outageUp       = 16 * time.Second
	outageEnd      = 19 * time.Second
	outageCallers  = 50
	outageEvery    = 20 * time.Millisecond
)

// outageRun is what one side of the outage scenario counted.
type outageRun struct {
	calls      int64         // token endpoint calls during the outage
	firstAfter time.Duration // from the endpoint's return to the first token served after it
	failed, ok int64         // Token calls
}

// runOutage runs the outage against s with callers asking get, and counts.
func runOutage(s *authServer, start time.Time, get func(ctx context.Context) error) outageRun {
	var run outageRun
	var first atomic.Int64 // nanoseconds from start to the first success after outageUp; 0: none
	var wg sync.WaitGroup
	for range outageCallers {
		wg.Go(func() {
			for next := time.Now(); time.Since(start) < outageEnd; next = next.Add(outageEvery) {
				time.Sleep(time.Until(next)) // the callers' cadence, in real time: x/oauth2 has no fake clock
				ctx, cancel := context.WithTimeout(context.Background(), outageEvery)
				err := get(ctx)
				cancel()
				if err != nil {
					atomic.AddInt64(&run.failed, 1)
					continue
				}
				atomic.AddInt64(&run.ok, 1)
				if at := time.Since(start); at >= outageUp {
					first.CompareAndSwap(0, int64(at))
				}
			}
		})
	}
	// The scenario's timeline, in real time (x/oauth2 has no fake clock):
	// these sleeps wait for no goroutine, only for the moments the
	// endpoint fails and returns.
	time.Sleep(time.Until(start.Add(outageDown)))
	before := s.calls.Load()
	s.setFailing(true)
	time.Sleep(time.Until(start.Add(outageUp)))
	s.setFailing(false)
	run.calls = s.calls.Load() - before
	wg.Wait()
	if f := first.Load(); f != 0 {
		run.firstAfter = time.Duration(f) - outageUp
	}
	return run
}

// bearerRefresher keeps a client-credentials token from s alive with
// bearer's own oauth package, closed at the end of the test.
func (s *authServer) bearerRefresher(t *testing.T) *tokenrefresh.Refresher {
	t.Helper()
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: s.token.URL,
		Client: oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "id", Secret: secret.New("secret")}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := oauth.NewRefresher(context.Background(), cc, tokenrefresh.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestScenarioTokenDiesDuringAnOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("19 s of real time")
	}
	t.Run("bearer", func(t *testing.T) {
		t.Parallel()
		s := newAuthServer(t, outageLifetime)
		s.retryAfter = "1"
		r := s.bearerRefresher(t)
		if _, err := r.Token(context.Background()); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		run := runOutage(s, start, func(ctx context.Context) error { _, err := r.Token(ctx); return err })
		t.Logf("bearer: token dies at %v of a %v..%v outage (503, Retry-After: 1): %d token calls during it; first token %v after the endpoint returned; %d Token calls served, %d failed",
			outageLifetime, outageDown, outageUp, run.calls, run.firstAfter.Round(time.Millisecond), run.ok, run.failed)
		if run.calls > 20 || run.calls < 2 {
			t.Errorf("%d token calls during the outage; want 2..20", run.calls)
		}
		if run.firstAfter == 0 || run.firstAfter > 1500*time.Millisecond {
			t.Errorf("first token %v after the endpoint returned; want within 1.5 s", run.firstAfter)
		}
	})
	t.Run("x-oauth2", func(t *testing.T) {
		t.Parallel()
		s := newAuthServer(t, outageLifetime)
		s.retryAfter = "1"
		ts := oauth2.ReuseTokenSource(nil, s.cc().TokenSource(context.Background()))
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		run := runOutage(s, start, func(context.Context) error { _, err := ts.Token(); return err })
		t.Logf("x/oauth2: token dies at %v of a %v..%v outage (503, Retry-After: 1): %d token calls during it; first token %v after the endpoint returned; %d Token calls served, %d failed",
			outageLifetime, outageDown, outageUp, run.calls, run.firstAfter.Round(time.Millisecond), run.ok, run.failed)
	})
}

// An API that answers 401 to every request, whatever the token: 40
// sequential requests. bearer replaces a rejected token at a bounded
// rate, so the server gets a few token calls, not one per request.
func TestScenarioAPIRejectsEveryToken(t *testing.T) {
	const requests = 40
	t.Run("bearer", func(t *testing.T) {
		s := newAuthServer(t, time.Hour)
		r := s.bearerRefresher(t)
		c := scenarioClient(t, s.api.URL, r)
		s.revokeAll()
		s.setRejectAll(true)
		failed := 0
		start := time.Now()
		for range requests {
			var ae *bearer.APIError
			if err := c.Get(context.Background(), "/x", nil); errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
				failed++
			}
		}
		t.Logf("bearer: %d sequential requests to an API that rejects every token, in %v: %d answered 401, %d token calls",
			requests, time.Since(start).Round(time.Millisecond), failed, s.calls.Load())
		if failed != requests || s.calls.Load() > 5 {
			t.Errorf("%d of %d requests failed with 401, %d token calls; want all, and at most 5 token calls", failed, requests, s.calls.Load())
		}
	})
	t.Run("x-oauth2", func(t *testing.T) {
		s := newAuthServer(t, time.Hour)
		s.setRejectAll(true)
		hc := &http.Client{Transport: &oauth2.Transport{Source: s.cc().TokenSource(context.Background())}}
		failed := 0
		for range requests {
			resp, err := hc.Get(s.api.URL + "/x")
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				failed++
			}
		}
		t.Logf("x/oauth2: %d sequential requests to an API that rejects every token: %d answered 401, %d token calls (it never replaces a rejected token)",
			requests, failed, s.calls.Load())
	})
}
