// Package sendtrace tells whether an HTTP request may have reached its
// server, so that a rotating source (a Charon rotation, a rotating refresh
// token) can tell a failure that cannot have been applied (no connection
// was had) from one that may have been (tokenrefresh.InDoubt).
package sendtrace

import (
	"context"
	"net/http/httptrace"
	"sync/atomic"
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
