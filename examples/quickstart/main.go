// Command quickstart shows bearer keeping tokens alive, with no account and
// no network. First it starts an OAuth-style token server and an API in this
// process, on loopback, and makes requests for eight seconds while the token
// (which lives four seconds) is refreshed in the background; midway the
// server revokes the token, and the client notices the 401, gets a new token
// and replays the request. Then it does the same with a fake C2, whose
// Charon rotation kills the old token, rotating every 1.5 s instead of every
// 55 minutes. No request fails.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, defaultSettings()); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// settings pace the demo; tests shorten them.
type settings struct {
	tokenLifetime time.Duration // how long each access token lives
	requests      int           // how many API requests to make
	every         time.Duration // the pause between requests
	revokeAt      int           // the request before which the server revokes the token
	c2Interval    time.Duration // how often the C2 token is rotated (55 min in production)
	c2Requests    int           // how many rounds of C2 requests to make
}

func defaultSettings() settings {
	return settings{
		tokenLifetime: 4 * time.Second, requests: 16, every: 500 * time.Millisecond, revokeAt: 10,
		c2Interval: 1500 * time.Millisecond, c2Requests: 10,
	}
}

func run(ctx context.Context, w io.Writer, s settings) error {
	w = &syncWriter{w: w} // the refreshers report from their own goroutines
	if err := runOAuth(ctx, w, s); err != nil {
		return err
	}
	return runC2(ctx, w, s)
}

// syncWriter serializes writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
