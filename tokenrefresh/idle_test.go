//go:build !race

package tokenrefresh_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// idleLineages returns how many idle Refreshers the idle-cost test starts:
// $BEARER_IDLE_LINEAGES, else 10,000.
func idleLineages(t *testing.T) int {
	if s := os.Getenv("BEARER_IDLE_LINEAGES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BEARER_IDLE_LINEAGES=%q: want a positive count", s)
		}
		return n
	}
	return 10_000
}

// rss returns the process's resident set in bytes, from /proc; 0 where
// there is none.
func rss() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// The cost of a lineage that is kept alive but idle: its Refresher holds
// a fresh token and sleeps until the refresh is due. One goroutine each
// (the loop), one for the whole process (the system clock's jumps
// watcher), and a few kilobytes.
// Run: go test -run IdleCost -v ./tokenrefresh (BEARER_IDLE_LINEAGES=100000 for more).
func TestIdleCostPerLineage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 10,000 Refreshers")
	}
	n := idleLineages(t)
	refresh := func(context.Context, *oauth2.Token) (*oauth2.Token, error) { return nil, nil }
	expiry := time.Now().Add(time.Hour)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines, rss0 := runtime.NumGoroutine(), rss()
	rs := make([]*tokenrefresh.Refresher, 0, n)
	defer func() {
		for _, r := range rs {
			r.Close()
		}
	}()
	for i := range n {
		r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{Refresh: refresh,
			Initial: secret.New(&oauth2.Token{AccessToken: "tok-" + strconv.Itoa(i), Expiry: expiry})})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	started := runtime.NumGoroutine() - goroutines
	perG := float64(started) / float64(n)
	heap := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / float64(n)
	perRSS := float64(rss()-rss0) / float64(n)
	t.Logf("%d idle Refreshers: %.2f goroutines, %.0f B of heap and stacks, %.0f B of RSS each", n, perG, heap, perRSS)
	if started > n+1 {
		t.Errorf("%d goroutines for %d idle Refreshers; want at most one each, and one for the process", started, n)
	}
	if heap > 12<<10 {
		t.Errorf("%.0f B of heap and stacks per idle Refresher; want at most 12 KiB", heap)
	}
}
