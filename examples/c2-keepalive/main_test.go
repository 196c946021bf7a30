package main

import (
	"strings"
	"testing"
)

// c2-keepalive says where it went, with the same flags on bearer serve's
// command line, and fails so that a script relying on it notices.
func TestPointsToBearerServe(t *testing.T) {
	var out strings.Builder
	code := run([]string{"-out", "/run/algo/c2-token", "-interval", "55m"}, &out)
	if code != 2 {
		t.Errorf("run() = %d; want 2", code)
	}
	for _, want := range []string{"go install github.com/bearer-go/bearer/cmd/bearer@latest", "bearer serve -out /run/algo/c2-token -interval 55m"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("c2-keepalive printed %q; want it to contain %q", out.String(), want)
		}
	}
}
