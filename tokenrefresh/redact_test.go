package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// TestTokenErrorsAreRedacted checks the errors callers get from Token, not
// only Status and logs, carry no token values, yet still match the cause.
func TestTokenErrorsAreRedacted(t *testing.T) {
	const canaryToken = "canary-TOKEN-abcdef0123"
	for _, permanent := range []bool{false, true} {
		t.Run(fmt.Sprintf("permanent=%v", permanent), func(t *testing.T) {
			cause := errors.New("refresh of " + canaryToken + " failed")
			clk := newClock()
			src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
				if permanent {
					return nil, tokenrefresh.Permanent(cause)
				}
				return nil, cause
			})
			initial := &oauth2.Token{AccessToken: canaryToken, Expiry: epoch.Add(time.Minute)}
			// The caller waits across failed attempts while its context
			// has time: this one ends at the first failure.
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			failed := tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
				if e.Kind == tokenrefresh.Failed {
					cancel()
				}
			})
			r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Observer: failed}, src)
			clk.Advance(time.Minute) // expired: callers must wait for a refresh
			_, err := r.Token(ctx)
			if err == nil {
				t.Fatal("Token() = nil error with an expired token and a failing refresh")
			}
			if strings.Contains(err.Error(), canaryToken) {
				t.Errorf("Token() error leaks the token: %v", err)
			}
			if !errors.Is(err, cause) || tokenrefresh.IsPermanent(err) != permanent {
				t.Errorf("Token() error %v lost its cause or class", err)
			}
		})
	}
}
