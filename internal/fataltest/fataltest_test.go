package fataltest_test

import (
	"testing"

	"github.com/bearer-go/bearer/internal/fataltest"
)

func TestRunReportsFatalfAndEndsTheHelper(t *testing.T) {
	after := false
	msg := fataltest.Run(t, func(tb testing.TB) {
		tb.Fatalf("no %s", "token")
		after = true
	})
	if msg != "no token" || after {
		t.Errorf("Run() = %q, went on after Fatalf: %v; want \"no token\", and no", msg, after)
	}
	if msg := fataltest.Run(t, func(testing.TB) {}); msg != "" {
		t.Errorf("Run() of a helper that returned = %q; want \"\"", msg)
	}
}
