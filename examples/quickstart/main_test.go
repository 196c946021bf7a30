package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuickstart runs the demo with its real pacing and checks it kept the
// token alive: tokens were refreshed in the background and nothing failed.
func TestQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for about ten seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, defaultSettings()); err != nil {
		t.Fatalf("run() = %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`Done: (\d+) requests, (\d+) failed; (\d+) tokens issued, (\d+) answered 401`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary in output:\n%s", out.String())
	}
	issued, _ := strconv.Atoi(m[3])
	unauthorized, _ := strconv.Atoi(m[4])
	// 8 s of 4 s tokens refreshed about 3 s in: the first, at least one
	// scheduled refresh, and one after the revocation.
	if m[2] != "0" || issued < 3 || unauthorized != 1 {
		t.Errorf("failed=%s issued=%d unauthorized=%d; want 0 failed, >= 3 issued, exactly 1 401\n%s", m[2], issued, unauthorized, out.String())
	}
	c := regexp.MustCompile(`Done: (\d+) rounds, (\d+) failed; (\d+) rotations; the original token is dead: true`).FindStringSubmatch(out.String())
	if c == nil {
		t.Fatalf("no C2 summary, or the original token survived:\n%s", out.String())
	}
	if rot, _ := strconv.Atoi(c[3]); c[2] != "0" || rot < 2 {
		t.Errorf("C2: failed=%s rotations=%s; want 0 failed and at least 2 rotations\n%s", c[2], c[3], out.String())
	}
	if !regexp.MustCompile(`typed error, not a retry: "Missing permission`).MatchString(out.String()) {
		t.Errorf("no permission error shown:\n%s", out.String())
	}
}
