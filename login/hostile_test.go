package login_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/hostiletest"
	"github.com/bearer-go/bearer/login"
)

// A login server that hangs (never answers, trickles its body, never ends
// it) holds no caller beyond its context: fifty requests waiting for the
// one login in flight each return when their context ends, with its
// error.
func TestHungLoginServerHoldsNoCallerBeyondItsContext(t *testing.T) {
	const callers = 50
	for _, b := range hostiletest.Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			ep := hostiletest.Start(t, b)
			c, err := login.NewSessionClient(ep.URL, session002("alice", "alice-pw"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			ctx, cancel := context.WithCancel(context.Background())
			returned := make(chan error, callers)
			for range callers {
				go func() { returned <- c.Get(ctx, "/me", nil) }()
			}
			select {
			case <-ep.Arrived:
			case <-time.After(waitLimit):
				t.Fatal("the login never reached the server")
			}
			cancel()
			for range callers {
				select {
				case err := <-returned:
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("Get() after its context ended = %v; want context.Canceled", err)
					}
				case <-time.After(waitLimit):
					t.Fatalf("a caller has not returned %v after its context ended", waitLimit)
				}
			}
			select {
			case <-ep.Arrived:
				t.Error("the login server got a second login; want one for all callers")
			default:
			}
		})
	}
}
