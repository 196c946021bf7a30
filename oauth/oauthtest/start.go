package oauthtest

import (
	"net/http/httptest"
	"testing"
)

// Start serves a new fake configured by cfg on a loopback
// [httptest.Server], which tb closes when the test ends, and returns both:
// the fake to steer and inspect, the server for its URL. An empty
// cfg.Issuer becomes the server's URL, so that discovery
// ([github.com/bearer-go/bearer/oauth.Discover]) finds endpoints a client
// can reach. If cfg is not valid, or a signing key cannot be generated,
// Start fails the test.
//
// The server speaks plain HTTP, which the SDK allows to loopback
// addresses; for TLS, serve [New]'s fake with [httptest.NewTLSServer].
// Serve [Server.APIHandler] from a second server for the API side.
func Start(tb testing.TB, cfg Config) (*Server, *httptest.Server) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if cfg.Issuer == "" {
		cfg.Issuer = "http://" + srv.Listener.Addr().String()
	}
	fake, err := New(cfg)
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	srv.Config.Handler = fake
	srv.Start()
	tb.Cleanup(srv.Close)
	return fake, srv
}
