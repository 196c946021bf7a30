package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// counter is a stand-in token server for the examples: each call issues
// the next numbered token, valid for an hour.
type counter struct{ calls atomic.Int32 }

func (c *counter) refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	n := c.calls.Add(1)
	return &oauth2.Token{AccessToken: fmt.Sprintf("token-%d", n), TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour)}, nil
}

// Keep a token alive: the Refresher calls the RefreshFunc for the first
// token, then again before each token expires, in the background. Token
// returns the current one without waiting while it is valid.
func Example() {
	ctx := context.Background()
	var server counter
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh: server.refresh, // an OAuth grant, a login, C2's Charon rotation...
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	tok, err := r.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.AccessToken, "healthy:", r.Status().Healthy)
	// Output: token-1 healthy: true
}

// A server that rejects a token (a 401) makes the caller invalidate it;
// the next Token waits for its replacement. bearer.Transport does this by
// itself.
func ExampleRefresher_Invalidate() {
	ctx := context.Background()
	var server counter
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{Refresh: server.refresh})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	rejected, err := r.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	r.Invalidate(rejected)
	tok, err := r.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rejected.AccessToken, "->", tok.AccessToken)
	// Output: token-1 -> token-2
}

// An error that retrying cannot fix stops the Refresher: Lost closes, and
// Err says what happened, for an operator to act on.
func ExamplePermanent() {
	ctx := context.Background()
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return nil, tokenrefresh.Permanent(errors.New("the client was deleted: create a new one"))
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	<-r.Lost()
	fmt.Println(r.Err())
	fmt.Println("permanent:", r.Status().Permanent)
	// Output:
	// the client was deleted: create a new one
	// permanent: true
}

// A Store keeps the token across restarts: a second Refresher resumes from
// the stored token instead of asking the server for a new one. A
// MemoryStore lives as long as the process; FileStore and redisstore
// outlive it.
func ExampleMemoryStore() {
	ctx := context.Background()
	var server counter
	var store tokenrefresh.MemoryStore
	for run := 1; run <= 2; run++ {
		r, err := tokenrefresh.New(ctx, tokenrefresh.Config{Refresh: server.refresh, Store: &store})
		if err != nil {
			log.Fatal(err)
		}
		tok, err := r.Token(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: %s, token calls so far: %d\n", run, tok.AccessToken, server.calls.Load())
		r.Close()
	}
	// Output:
	// run 1: token-1, token calls so far: 1
	// run 2: token-1, token calls so far: 1
}

// A FileStore writes the token to a file only its owner can read, so that
// a restarted program resumes the lineage: here the second run starts from
// the token the first one stored, though it is given the original.
func ExampleNewFileStore() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "tokenrefresh-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	store, err := tokenrefresh.NewFileStore(filepath.Join(dir, "token.json"))
	if err != nil {
		log.Fatal(err)
	}

	// A rotating server: each token kills the one before (C2's Charon).
	var server counter
	original := &oauth2.Token{AccessToken: "token-0", TokenType: "Bearer"}
	for run := 1; run <= 2; run++ {
		r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
			Refresh:  server.refresh,
			Initial:  secret.New(original),
			Interval: 55 * time.Minute, // a token without expiry: rotate on a schedule
			Store:    store,
		})
		if err != nil {
			log.Fatal(err)
		}
		if run == 1 {
			r.Invalidate(original) // the first run rotates it at once
		}
		tok, err := r.Token(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("run %d: %s\n", run, tok.AccessToken)
		r.Close()
	}
	fi, err := os.Stat(store.Path())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("mode:", fi.Mode().Perm())
	// Output:
	// run 1: token-1
	// run 2: token-1
	// mode: -rw-------
}

// An Observer receives every event of the Refresher, for logs, metrics
// and tests; none carries a secret.
func ExampleObserverFunc() {
	ctx := context.Background()
	var server counter
	refreshed := make(chan tokenrefresh.Event, 1)
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh: server.refresh,
		Observer: tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
			if e.Kind == tokenrefresh.Refreshed {
				refreshed <- e
			}
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	e := <-refreshed
	fmt.Println(e.Kind, "expires in about", e.Expiry.Sub(e.At).Round(time.Minute))
	// Output: refreshed expires in about 1h0m0s
}
