package tokenrefresh_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine outlives its test: every
// Refresher must be closed, and Close must wait for its loop.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
