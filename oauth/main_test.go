package oauth_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its test: the login
// listener, the browser opener and every Refresher must end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
