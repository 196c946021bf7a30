package redisstore_test

import (
	"testing"

	"github.com/bearer-go/bearer/tokenrefresh/redisstore/internal/redisclient"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its test: every
// Refresher and Redis client must be closed, and Watch must end with its
// context. It also silences go-redis's own log of failed dials, which the
// outage tests provoke by the hundred.
func TestMain(m *testing.M) {
	redisclient.Silence()
	goleak.VerifyTestMain(m)
}
