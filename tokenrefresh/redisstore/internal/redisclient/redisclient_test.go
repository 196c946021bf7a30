package redisclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore/internal/redisclient"
	"go.uber.org/goleak"
)

// TestMain fails the package if a client's goroutine outlives its test,
// and keeps go-redis from logging the dial the first test makes fail.
func TestMain(m *testing.M) {
	redisclient.Silence()
	goleak.VerifyTestMain(m)
}

// waitLimit bounds the command, so that a client that retries forever
// fails the test instead of hanging it.
const waitLimit = 20 * time.Second

func TestNewFailsByItselfWhenRedisIsDown(t *testing.T) {
	c := redisclient.New(redistest.FreeAddr(t))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	err := c.Ping(ctx).Err()
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Ping() of a Redis that is down = %v; want the dial's own error", err)
	}
}

func TestNewTalksToRedis(t *testing.T) {
	addr := redistest.Shared(t)
	c := redisclient.New(addr)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Ping() = %v", err)
	}
}
