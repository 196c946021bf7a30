package fleettest_test

import (
	"context"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its test: every
// child's reader, every Redis client and the fake's server must be gone.
// Re-executed as a fleet child (see child_test.go), the binary runs one
// member of the fleet instead of the tests. go-redis's own log of failed
// dials, which the Redis restart provokes by the hundred, is silenced.
func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	if isChild() {
		os.Exit(runChild())
	}
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
