package c2_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/hostiletest"
)

// While Charon hangs a rotation (never answers, trickles its body, never
// ends it), the token is still valid: API calls go through with it, and
// Token returns it at once, without waiting for the rotation.
func TestHungCharonHoldsNoAPICall(t *testing.T) {
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel() // each Close gives the hung rotation its 5 s of grace
			fake := c2test.New(c2test.Options{})
			charon := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, c2test.TokensPathPrefix) }
			ep := hostiletest.Serve(t, b, charon, fake)
			issued := fake.IssueToken()
			c, err := c2.New(context.Background(), ep.URL, issued)
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			t.Cleanup(func() { c.Close() }) // gives the rotation its grace
			select {
			case <-ep.Arrived: // the token's age is unknown: it is rotated at once
			case <-time.After(waitLimit):
				t.Fatal("the rotation never reached Charon")
			}
			for range 20 {
				if tok, err := c.Token(cancelledContext()); err != nil || tok.AccessToken != issued {
					t.Fatalf("Token() while Charon hangs = %v; want the valid token at once", err)
				}
				if _, err := c.Drivers.List(ctx(t)); err != nil {
					t.Fatalf("Drivers.List() while Charon hangs = %v", err)
				}
			}
		})
	}
}

// cancelledContext is a context already done: Token returns it as its
// error if it would wait at all.
func cancelledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
