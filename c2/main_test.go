package c2_test

import (
	"os"
	"testing"

	"github.com/bearer-go/bearer/internal/c2crash"
	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its test: every
// Client must be closed, and Close must wait for its background rotation.
// Run as a crash-test child (see crash_test.go), the binary runs a C2
// client until it is killed instead of running tests.
func TestMain(m *testing.M) {
	if c2crash.IsChild() {
		os.Exit(c2crash.RunChild())
	}
	goleak.VerifyTestMain(m)
}
