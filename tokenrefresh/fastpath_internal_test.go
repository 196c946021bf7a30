package tokenrefresh

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// With the system clock, Token's fast path (the fresh mark) must agree
// with tokenState on every state, and every serveUntil carries a
// monotonic reading, so that a step back of the wall clock does not
// delay the mark's end (see until).
func TestSystemClockFastPathAgreesWithTokenState(t *testing.T) {
	refresh := func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "next", Expiry: time.Now().Add(time.Hour)}, nil
	}
	for name, cfg := range map[string]Config{
		"fresh, expiring":         {Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)})},
		"fresh for half a minute": {Initial: secret.New(&oauth2.Token{AccessToken: "b", Expiry: time.Now().Add(time.Minute)}), EarlyWindow: 10 * time.Minute},
		"unknown age":             {Initial: secret.New(&oauth2.Token{AccessToken: "c"}), Interval: time.Hour},
		"fenced interval":         {Initial: secret.New(&oauth2.Token{AccessToken: "d"}), Interval: time.Hour, Fence: time.Second},
		"no expiry, no age":       {Initial: secret.New(&oauth2.Token{AccessToken: "e"})},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Refresh = refresh
			r, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.jumps != systemJumps {
				t.Fatal("the default clock is not watched for jumps")
			}
			s := r.cur.Load()
			if !s.serveUntil.IsZero() && !strings.Contains(s.serveUntil.String(), "m=") {
				t.Errorf("serveUntil %v has no monotonic reading", s.serveUntil)
			}
			for _, st := range []*state{s, s.rejected()} {
				if r.marked(st) && r.tokenState(st, time.Now()) != fresh {
					t.Errorf("marked fresh, but tokenState = %v (invalid = %v)", r.tokenState(st, time.Now()), st.invalid)
				}
			}
			// A token due at once (unknown age on an interval) is never
			// marked; one fresh for long is.
			want := name == "fresh, expiring" || name == "no expiry, no age"
			dueAtOnce := name == "unknown age" || name == "fenced interval"
			if (want && !r.marked(s)) || (dueAtOnce && r.marked(s)) {
				t.Errorf("fresh mark = %v; want %v", r.marked(s), want)
			}
		})
	}
}

// The loop clears a fresh mark when its time comes, wakes for it, and
// clears it when it exits, so that Token never skips the clock for a
// token that may be stale.
func TestFreshMarkIsClearedOnTime(t *testing.T) {
	r, err := New(context.Background(), Config{
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, errors.New("unused") },
		Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)}),
	})
	if err != nil {
		t.Fatal(err)
	}
	s := r.cur.Load()
	if !r.marked(s) {
		t.Fatal("a token fresh for 45 minutes is not marked fresh")
	}
	if at, ok := r.freshWake(time.Now().Add(2*time.Hour), true); !ok || !at.Equal(s.freshUntil()) {
		t.Errorf("freshWake(2h) = %v, %v; want the mark's end %v", at, ok, s.freshUntil())
	}
	if at, ok := r.freshWake(time.Time{}, false); !ok || !at.Equal(s.freshUntil()) {
		t.Errorf("freshWake(nothing scheduled) = %v, %v; want the mark's end", at, ok)
	}
	r.renewMark()
	if !r.marked(s) {
		t.Error("renewMark cleared a mark whose time has not come")
	}
	// States of the test's own, swapped in as the write rule says; the
	// loop sleeps until the first mark's end, an hour away.
	due := &state{tok: s.tok, expiry: s.expiry, serveUntil: time.Now().Add(freshMargin - time.Millisecond)}
	due.fresh.Store(r.jumps.epoch.Load())
	if !r.cur.CompareAndSwap(s, due) {
		t.Fatal("the loop published a state meanwhile")
	}
	r.renewMark()
	if r.marked(due) {
		t.Error("renewMark kept a mark whose time has come")
	}
	later := &state{tok: s.tok, expiry: s.expiry, serveUntil: time.Now().Add(30 * time.Minute)}
	later.fresh.Store(r.jumps.epoch.Load())
	r.cur.CompareAndSwap(due, later)
	r.Close()
	if later.fresh.Load() != 0 {
		t.Error("the mark outlived the loop that clears it")
	}
	if tok, err := r.Token(context.Background()); err != nil || tok.AccessToken != "a" {
		t.Errorf("Token() after Close = %v, %v; want the still valid token, by the clock", tok, err)
	}
}
