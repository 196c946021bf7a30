package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

const (
	// demoPolls is how many polls the demo's user takes to approve.
	demoPolls = 2

	// laterRun is how much later the demo's second run happens: past the
	// 15-minute token's expiry, so its refresh token is used.
	laterRun = 20 * time.Minute

	// maxDemoWait is the longest wait the demo lets pass at once: the
	// device's polls, not the Refresher's schedule minutes away.
	maxDemoWait = time.Minute
)

// runDemo runs the program twice against an in-process authorization
// server (oauthtest: RFC 8414 metadata, an RFC 8628 device endpoint that
// the "user" approves after demoPolls polls, rotating refresh tokens), on
// a fake clock.
func runDemo(ctx context.Context, out io.Writer) error {
	w := &syncWriter{w: out}
	clock := fakeclock.New(time.Now())
	ts := httptest.NewUnstartedServer(nil)
	srv, err := oauthtest.New(oauthtest.Config{Now: clock.Now, Issuer: "http://" + ts.Listener.Addr().String()})
	if err != nil {
		return err
	}
	u := srv.AddUser("pilot@example.com", "demo-password")
	client, err := srv.AddClient(oauthtest.Client{UserID: u.ID})
	if err != nil {
		return err
	}
	srv.ApproveDevicesAfter(demoPolls)
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()
	dir, err := os.MkdirTemp("", "device-login-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	s := setup{issuer: ts.URL, tokenFile: filepath.Join(dir, "token.json"), clock: clock,
		flow: oauth.DeviceConfig{Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: client.ClientID}, Scopes: []string{"offline_access"}, Output: w}}
	fmt.Fprintln(w, "demo: authorization server at", ts.URL)
	fmt.Fprintln(w, "== first run")
	if err := withTimePassing(ctx, clock, w, func() error { _, err := session(ctx, s, w); return err }); err != nil {
		return err
	}
	clock.Advance(laterRun)
	fmt.Fprintf(w, "== second run, %v later\n", laterRun)
	return withTimePassing(ctx, clock, w, func() error { _, err := session(ctx, s, w); return err })
}

// withTimePassing runs f while a goroutine lets the device's waits pass
// at once: it advances the clock to each timer due within maxDemoWait.
// Only it moves the clock while f runs.
func withTimePassing(ctx context.Context, clock *fakeclock.Clock, w io.Writer, f func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			now := clock.Now()
			at, err := clock.AwaitTimer(ctx, func(d time.Time) bool { return d.Sub(now) <= maxDemoWait })
			if err != nil {
				return
			}
			fmt.Fprintf(w, "demo: %v pass; the device polls the token endpoint\n", at.Sub(now))
			clock.Advance(at.Sub(now))
		}
	}()
	err := f()
	cancel()
	<-done
	return err
}

// syncWriter serialises the writes of the program and of the demo's
// clock.
type syncWriter struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
