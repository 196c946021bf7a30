// Package hostiletest serves the ways a token endpoint (an OAuth server,
// C2's Charon, a login API) can hang a client that trusts it: it takes
// the request and never answers, it sends headers and then trickles its
// body a byte a second, or it sends a whole body and never ends the
// response. Tests of every package that calls such an endpoint run the
// same [Behaviours] against it, and wait on the [Endpoint]'s channels.
//
// Usage:
//
//	for _, b := range hostiletest.Behaviours {
//		t.Run(b.Name, func(t *testing.T) {
//			ep := hostiletest.Start(t, b)
//			... point the client at ep.URL ...
//			<-ep.Arrived // a request is held
//			<-ep.Gone    // its client gave up
//		})
//	}
package hostiletest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// trickleEvery is the pace of the trickling body: the server's own, not a
// test's synchronisation.
const trickleEvery = time.Second

// trickleBytes bounds the trickling body, so that every loop ends: ten
// minutes of it, far beyond any test.
const trickleBytes = 600

// A Behaviour is one way to hang a client. Serve holds the request until
// its client goes or release is closed.
type Behaviour struct {
	Name  string
	Serve func(w http.ResponseWriter, r *http.Request, release <-chan struct{})
}

// Behaviours are the hostile endpoints every package is tested against.
var Behaviours = []Behaviour{
	{"never answers", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		waitGone(r, release)
	}},
	{"trickles its body", trickle},
	{"never ends its body", func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"access_token":"new","token_type":"Bearer","expires_in":3600}`)
		w.(http.Flusher).Flush()
		waitGone(r, release)
	}},
}

// trickle answers 200 with a JSON content type, then a space every
// trickleEvery.
func trickle(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(trickleEvery)
	defer tick.Stop()
	for range trickleBytes {
		w.Write([]byte(" "))
		w.(http.Flusher).Flush()
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		case <-release:
			return
		}
	}
}

// waitGone holds r until its client goes or release is closed.
func waitGone(r *http.Request, release <-chan struct{}) {
	select {
	case <-r.Context().Done():
	case <-release:
	}
}

// An Endpoint is a running hostile server.
type Endpoint struct {
	URL string
	// Arrived receives once per request the server holds; Gone once per
	// request whose client gave up (closed the connection).
	Arrived, Gone chan struct{}
}

// channelRoom is the room of an Endpoint's channels: more requests than
// any test sends, since the server blocks once one is full.
const channelRoom = 1000

// Start serves b on loopback until the end of the test, which releases
// every request it holds.
func Start(t testing.TB, b Behaviour) *Endpoint {
	t.Helper()
	return Serve(t, b, nil, nil)
}

// Serve is Start for a server whose requests hang when hangs reports so
// (nil: all of them), and are served by next otherwise.
func Serve(t testing.TB, b Behaviour, hangs func(*http.Request) bool, next http.Handler) *Endpoint {
	t.Helper()
	ep := &Endpoint{Arrived: make(chan struct{}, channelRoom), Gone: make(chan struct{}, channelRoom)}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hangs != nil && !hangs(r) {
			next.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body) // so that the server notices the client going
		ep.Arrived <- struct{}{}
		b.Serve(w, r, release)
		if r.Context().Err() != nil {
			ep.Gone <- struct{}{}
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	ep.URL = srv.URL
	return ep
}
