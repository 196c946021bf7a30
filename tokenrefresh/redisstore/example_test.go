package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
	"golang.org/x/oauth2"
)

// Replicas of a program share one C2 token through Redis: each runs this,
// and exactly one of them rotates the token every 55 minutes while the
// others adopt the new one. The example needs a Redis server, so it is
// compiled but not run.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redisstore.New(rdb, "bearer:c2:token")
	if err != nil {
		log.Fatal(err)
	}
	r, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh:  rotate,
		Initial:  secret.New(&oauth2.Token{AccessToken: os.Getenv("C2_TOKEN"), TokenType: "Bearer"}),
		Interval: 55 * time.Minute, // C2's tokens carry no expiry
		MaxAge:   time.Hour,        // and die an hour after their last use
		Store:    store,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("token valid:", tok.Valid())
}

// rotate stands for the call that replaces the current token, such as
// C2's PUT /charon/tokens/{token} (package c2 does it for you).
func rotate(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	return nil, fmt.Errorf("rotate: not part of this example")
}
