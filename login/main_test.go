package login_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its test: every token
// client's Refresher must stop on Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
