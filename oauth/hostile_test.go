package oauth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/hostiletest"
)

// A token request to an endpoint that hangs (never answers, trickles its
// body, never ends it) returns when its caller's context ends, with the
// context's error, and the endpoint sees the client go: the exchange
// layer holds nobody beyond their context.
func TestHostileTokenEndpointHoldsNoCallerBeyondItsContext(t *testing.T) {
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			ep := hostiletest.Start(t, b)
			cc := clientCredentials(t, ep.URL+"/token", basicAuth())
			ctx, cancel := context.WithCancel(context.Background())
			returned := make(chan error, 1)
			go func() {
				_, err := cc.Token(ctx)
				returned <- err
			}()
			select {
			case <-ep.Arrived:
			case <-time.After(waitLimit):
				t.Fatal("the token request never reached the endpoint")
			}
			cancel()
			select {
			case err := <-returned:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Token() after its context ended = %v; want context.Canceled", err)
				}
			case <-time.After(waitLimit):
				t.Fatalf("Token() has not returned %v after its context ended", waitLimit)
			}
			select {
			case <-ep.Gone:
			case <-time.After(waitLimit):
				t.Fatal("the endpoint never saw the client go")
			}
		})
	}
}
