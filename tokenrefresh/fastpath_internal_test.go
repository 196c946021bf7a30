package tokenrefresh

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// With the system clock, Token's fast path (freshNow) reads only the
// monotonic clock: every serveUntil must carry a monotonic reading, and
// the fast path must agree with tokenState on every state.
func TestSystemClockFastPathAgreesWithTokenState(t *testing.T) {
	refresh := func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: "next", Expiry: time.Now().Add(time.Hour)}, nil
	}
	for name, cfg := range map[string]Config{
		"fresh, expiring":   {Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)})},
		"stale, expiring":   {Initial: secret.New(&oauth2.Token{AccessToken: "b", Expiry: time.Now().Add(time.Minute)}), EarlyWindow: 10 * time.Minute},
		"unknown age":       {Initial: secret.New(&oauth2.Token{AccessToken: "c"}), Interval: time.Hour},
		"fenced interval":   {Initial: secret.New(&oauth2.Token{AccessToken: "d"}), Interval: time.Hour, Fence: time.Second},
		"no expiry, no age": {Initial: secret.New(&oauth2.Token{AccessToken: "e"})},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Refresh = refresh
			r, err := New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if !r.sysClock {
				t.Fatal("sysClock = false with the default clock")
			}
			s := r.cur.Load()
			if !s.serveUntil.IsZero() && !strings.Contains(s.serveUntil.String(), "m=") {
				t.Errorf("serveUntil %v has no monotonic reading", s.serveUntil)
			}
			for _, st := range []*state{s, s.rejected()} {
				if fast, slow := r.freshNow(st), r.tokenState(st, time.Now()) == fresh; fast != slow {
					t.Errorf("freshNow = %v, tokenState == fresh is %v; want them equal (invalid = %v)", fast, slow, st.invalid)
				}
			}
		})
	}
}
