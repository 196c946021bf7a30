package c2test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/bearer-go/bearer/internal/redact"
)

// Start serves a new fake configured by opts on a loopback
// [httptest.Server], which tb closes when the test ends, and returns both:
// the fake to steer and inspect, the server for its URL. The server speaks
// plain HTTP, which the SDK allows to loopback addresses; for TLS, serve
// [New]'s fake with [httptest.NewTLSServer] instead.
func Start(tb testing.TB, opts Options) (*Server, *httptest.Server) {
	tb.Helper()
	fake := New(opts)
	srv := httptest.NewServer(fake)
	tb.Cleanup(srv.Close)
	return fake, srv
}

// Format prints the fake as c2test.Server{REDACTED}, whatever the verb: it
// holds live tokens, which a test's log must not show. Use [Server.Stats]
// to see what happened.
func (s *Server) Format(f fmt.State, _ rune) { redact.Opaque(f, "c2test.Server") }
