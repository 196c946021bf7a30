package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
)

// The status table has one aligned row per token: its health in a word,
// when it was refreshed and will be, its failures, and its last error on
// one line.
func TestPrintStatus(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var out strings.Builder
	printStatus(&out, []keeper.Status{
		{Name: "c2", Source: "c2", Healthy: true, Valid: true, LastRefresh: now.Add(-3 * time.Minute), NextRefresh: now.Add(52 * time.Minute)},
		{Name: "ce", Source: "climateengine", Valid: true, ConsecutiveFailures: 2, LastError: "oauth: 503\nService Unavailable",
			LastRefresh: now.Add(-11 * time.Minute), NextRefresh: now.Add(30 * time.Second)},
		{Name: "person", Source: "authcode", Lost: true, ConsecutiveFailures: 1, LastError: strings.Repeat("x", 300)},
	}, now)
	want := []string{
		"NAME    SOURCE         HEALTH    LAST REFRESH  NEXT REFRESH  FAILURES  LAST ERROR",
		"c2      c2             ok        3m0s ago      in 52m0s      0         -",
		"ce      climateengine  retrying  11m0s ago     in 30s        2         oauth: 503 Service Unavailable",
		"person  authcode       LOST      -             -             1         " + strings.Repeat("x", 99) + "…",
	}
	if got := strings.TrimSuffix(out.String(), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("printStatus =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
