package climateengine_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its test: every
// Client must be closed, and Close must end its token refresh.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
