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
	// 10 s of 4 s tokens refreshed about 3 s in: the first, at least two
	// scheduled refreshes, and one after the revocation.
	if m[2] != "0" || issued < 4 || unauthorized != 1 {
		t.Errorf("failed=%s issued=%d unauthorized=%d; want 0 failed, >= 4 issued, exactly 1 401\n%s", m[2], issued, unauthorized, out.String())
	}
}
