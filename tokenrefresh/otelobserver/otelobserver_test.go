package otelobserver_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/otelobserver"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/oauth2"
)

// attemptTime is how long each attempt of the scripted source takes on
// the fake clock, so that spans have a length to check.
const attemptTime = 250 * time.Millisecond

// retryWait is the test's backoff after every failure.
const retryWait = 10 * time.Second

// script is a RefreshFunc whose n-th call (from 1) answers answers[n-1];
// each call takes attemptTime on clk.
type script struct {
	clk     *fakeclock.Clock
	mu      sync.Mutex // guards calls
	calls   int
	answers []func(cur *oauth2.Token) (*oauth2.Token, error)
}

func (s *script) refresh(_ context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
	s.mu.Lock()
	s.calls++
	n := s.calls
	s.mu.Unlock()
	s.clk.Advance(attemptTime)
	if n > len(s.answers) {
		return nil, fmt.Errorf("unexpected call %d", n)
	}
	return s.answers[n-1](cur)
}

// newCanary returns a value no telemetry may hold.
func newCanary() string {
	var b [8]byte
	rand.Read(b[:])
	return "canary" + hex.EncodeToString(b[:])
}

// A Refresher driven on a fake clock through refreshes, a temporary
// failure, rejections (one of them limited), a failure in doubt and the
// permanent failure that loses the lineage leaves exactly those counts in
// the metrics, one span per attempt with its status, error type and
// timing, and the token's time to expiry; no attribute, status or name
// holds a token, although every token and every error the server sent
// carries the canary.
func TestRefresherDrivenThroughItsEvents(t *testing.T) {
	clk := fakeclock.New(epoch)
	otel := newSDK(t)
	tel := otel.telemetry(t, clk.Now)
	canary := newCanary()
	token := func(n int) func(*oauth2.Token) (*oauth2.Token, error) {
		return func(*oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: fmt.Sprintf("at-%s-%d", canary, n), RefreshToken: fmt.Sprintf("rt-%s-%d", canary, n),
				TokenType: "Bearer", Expiry: clk.Now().Add(time.Hour)}, nil
		}
	}
	src := &script{clk: clk, answers: []func(*oauth2.Token) (*oauth2.Token, error){
		token(1),
		func(cur *oauth2.Token) (*oauth2.Token, error) { // a temporary failure that echoes the refresh token
			return nil, &bearer.APIError{Method: "POST", URL: "https://auth.example/token", StatusCode: 503,
				Message: "overloaded; retry with " + cur.RefreshToken}
		},
		token(3),
		token(4),
		func(cur *oauth2.Token) (*oauth2.Token, error) { // sent, and no answer: in doubt
			return nil, tokenrefresh.InDoubt(fmt.Errorf("POST with %s: %w", cur.RefreshToken, context.DeadlineExceeded))
		},
		func(cur *oauth2.Token) (*oauth2.Token, error) { // the refresh in doubt was applied: the lineage is lost
			return nil, tokenrefresh.Permanent(&oauth.Error{Endpoint: "https://auth.example/token", StatusCode: 400,
				Code: "invalid_grant", Description: "refresh token " + cur.RefreshToken + " was used already"})
		},
	}}
	obs, evs := tee(tel.Lineage("c2"))
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{Refresh: src.refresh, Clock: clk, Observer: obs, Jitter: -1,
		Backoff: func(int, time.Duration) time.Duration { return retryWait }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tok := func() *oauth2.Token {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		tok, err := r.Token(ctx)
		if err != nil {
			t.Fatalf("Token() = %v", err)
		}
		return tok
	}
	retry := func(e tokenrefresh.Event) { // lets the planned retry come
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if _, err := clk.AwaitTimer(ctx, func(d time.Time) bool { return d.Equal(e.Retry) }); err != nil {
			t.Fatalf("no timer for the retry at %v: %v", e.Retry, err)
		}
		clk.Advance(e.Retry.Sub(clk.Now()))
	}

	var attempts []tokenrefresh.Event
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Refreshed))
	r.Invalidate(tok())
	eventtest.Next(t, evs, tokenrefresh.Rejected)
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Failed))
	retry(attempts[1])
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Refreshed))
	r.Invalidate(tok())
	eventtest.Next(t, evs, tokenrefresh.Rejected)
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Refreshed))
	tok4 := tok()
	r.Invalidate(tok4) // a replacement rejected at once: kept
	eventtest.Next(t, evs, tokenrefresh.RejectionLimited)
	clk.Advance(time.Minute) // past the limit
	r.Invalidate(tok4)
	eventtest.Next(t, evs, tokenrefresh.Rejected)
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Failed))
	retry(attempts[4])
	attempts = append(attempts, eventtest.Next(t, evs, tokenrefresh.Failed))
	eventtest.Next(t, evs, tokenrefresh.Lost)

	points, texts := otel.collect(t)
	const c2 = "bearer.token.name=c2"
	want := map[string]float64{
		"bearer.token.refreshes{" + c2 + "}":                                          3,
		"bearer.token.failures{bearer.token.failure.kind=temporary," + c2 + "}":       1,
		"bearer.token.failures{bearer.token.failure.kind=in_doubt," + c2 + "}":        1,
		"bearer.token.failures{bearer.token.failure.kind=permanent," + c2 + "}":       1,
		"bearer.token.rejections{" + c2 + ",bearer.token.rejection.outcome=replaced}": 3,
		"bearer.token.rejections{" + c2 + ",bearer.token.rejection.outcome=limited}":  1,
		"bearer.token.lost{" + c2 + "}":                                               1,
		"bearer.token.store.unavailable{" + c2 + "}":                                  0,
		"bearer.token.time_to_expiry{" + c2 + "}":                                     tok4.Expiry.Sub(clk.Now()).Seconds(),
	}
	for k, v := range want {
		if got, ok := points[k]; !ok || got != v {
			t.Errorf("%s = %v (reported: %v); want %v", k, got, ok, v)
		}
	}
	if len(points) != len(want) {
		t.Errorf("%d data points; want %d: %v", len(points), len(want), points)
	}

	spans := otel.spans.Ended()
	if len(spans) != len(attempts) {
		t.Fatalf("%d spans; want one per attempt, %d", len(spans), len(attempts))
	}
	wantErr := []struct{ errorType, kind, failures string }{{}, {"503", "temporary", "1"}, {}, {}, {"timeout", "in_doubt", "1"},
		{"lineage_lost", "permanent", "2"}}
	for i, sp := range spans {
		e, w := attempts[i], wantErr[i]
		if sp.Name() != otelobserver.SpanName || sp.SpanKind() != trace.SpanKindClient || attr(sp, otelobserver.NameKey) != "c2" {
			t.Errorf("span %d: %s, kind %v, name %q", i, sp.Name(), sp.SpanKind(), attr(sp, otelobserver.NameKey))
		}
		if !sp.StartTime().Equal(e.Start) || sp.EndTime().Sub(sp.StartTime()) != attemptTime || e.Duration != attemptTime {
			t.Errorf("span %d: from %v for %v; want from %v for %v", i, sp.StartTime(), sp.EndTime().Sub(sp.StartTime()), e.Start, attemptTime)
		}
		got := struct{ errorType, kind, failures string }{attr(sp, semconv.ErrorTypeKey), attr(sp, otelobserver.FailureKindKey),
			attr(sp, otelobserver.FailuresKey)}
		if got != w {
			t.Errorf("span %d: error.type, kind, failures = %+v; want %+v", i, got, w)
		}
		wantCode := codes.Ok
		if w.errorType != "" {
			wantCode = codes.Error
		}
		if st := sp.Status(); st.Code != wantCode || (wantCode == codes.Error && st.Description != e.Err.Error()) {
			t.Errorf("span %d: status %v %q; want %v with the Refresher's message %q", i, st.Code, st.Description, wantCode, e.Err)
		}
		texts = append(texts, spanTexts(sp)...)
	}
	if !strings.Contains(spans[1].Status().Description, "overloaded; retry with") {
		t.Errorf("the 503's status %q lacks the server's (redacted) message", spans[1].Status().Description)
	}
	for _, s := range texts {
		if strings.Contains(s, canary) {
			t.Errorf("the telemetry holds a token or the canary: %q", s)
		}
	}
}
