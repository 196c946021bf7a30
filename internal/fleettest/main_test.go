package fleettest_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/fleettest"
	"go.uber.org/goleak"
)

// TestMain runs a fleet member when a scenario re-executes the binary as
// one (the members here share a file: they need no StoreOpener), and
// otherwise the tests, failing the package if any goroutine outlives its
// test: every member's reader and the fake's server must be gone.
func TestMain(m *testing.M) {
	fleettest.RunIfMember(nil)
	goleak.VerifyTestMain(m)
}
