// Package sendtrace tells whether an HTTP request may have reached its
// server, so that a rotating source (a Charon rotation, a rotating refresh
// token) can tell a failure that cannot have been applied (no connection
// was had) from one that may have been (tokenrefresh.InDoubt).
package sendtrace

import (
	"context"
	"errors"
	"net/http/httptrace"
	"sync/atomic"

	"github.com/bearer-go/bearer/internal/httpx"
)

// A Tracker records whether a request sent with its context got a
// connection. It is safe for concurrent use.
type Tracker struct{ conn atomic.Bool }

// Track returns ctx with a trace that records, in the returned Tracker,
// when a request sent with it gets a connection.
func Track(ctx context.Context) (context.Context, *Tracker) {
	t := &Tracker{}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { t.conn.Store(true) },
	}), t
}

// MaybeSent reports whether the request may have reached the server: it
// got a connection, so it may have been written, and then timed out or
// been cut. A request that never got one cannot have been applied.
func (t *Tracker) MaybeSent() bool { return t.conn.Load() }

// MaybeApplied reports whether a request that rotates a credential (a
// Charon rotation, a refresh that rotates its refresh token), which
// failed with status (zero if no answer came) and err, may all the same
// have been applied by the server: it was answered 5xx (the server, or a
// gateway in front of it, failed after it may have acted), or it got no
// answer after it may have been sent. A redirect and any other error
// answer were given before the server acted.
func (t *Tracker) MaybeApplied(status int, err error) bool {
	var re *httpx.RedirectError
	switch {
	case status >= 500:
		return true
	case status != 0, errors.As(err, &re):
		return false
	}
	return err != nil && t.MaybeSent()
}
