// Command quickstart shows bearer keeping a short-lived token alive, with no
// account and no network: it starts an OAuth-style token server and an API
// in this process, on loopback, then makes requests for about ten seconds
// while the token (which lives four seconds) is refreshed in the background.
// Midway the server revokes the token; the client notices the 401, gets a
// new token and replays the request, and no request fails.
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
}

func defaultSettings() settings {
	return settings{tokenLifetime: 4 * time.Second, requests: 20, every: 500 * time.Millisecond, revokeAt: 12}
}

func run(ctx context.Context, w io.Writer, s settings) error {
	w = &syncWriter{w: w} // the refreshers report from their own goroutines
	return runOAuth(ctx, w, s)
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
