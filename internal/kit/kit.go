// Package kit holds what the public test kits (c2/c2test,
// oauth/oauthtest) share about serving HTTP: reading a bearer token,
// holding a request while a test decides, dropping a connection, and
// applying a request whose answer is thrown away. Users import the kits,
// never this package.
package kit

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"
)

// BearerToken returns the token of r's "Authorization: Bearer" header
// (RFC 6750 section 2.1; the scheme is case-insensitive).
func BearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

// Hold reads up to limit bytes of r's body ahead, then waits for delay to
// pass (on the real clock: it stalls I/O) and then for block, if not nil,
// to close. It reports false if the client went away first.
//
// The body is read first because net/http notices that a client hung up
// (and cancels the request's context) only once the body has been read;
// without it, a held request would outlive its client and hold
// httptest.Server.Close. The body stays readable, unchanged.
func Hold(r *http.Request, limit int64, delay time.Duration, block <-chan struct{}) bool {
	readAhead(r, limit)
	return wait(r.Context(), delay, block)
}

// readAhead reads up to limit+1 bytes of r's body and puts them back in
// front of the rest. A read error is kept for the handler to meet.
func readAhead(r *http.Request, limit int64) {
	head, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var rest io.Reader = r.Body
	if err != nil {
		rest = errReader{err}
	}
	r.Body = readCloser{io.MultiReader(bytes.NewReader(head), rest), r.Body}
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// wait waits for delay to pass and then for block to close. It reports
// false if ctx ends first.
func wait(ctx context.Context, delay time.Duration, block <-chan struct{}) bool {
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// Drop closes the connection under w without an answer. Where the
// connection cannot be hijacked (HTTP/2), it aborts the handler, which
// resets the stream. A Go client sees a transport error either way.
func Drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// Discard returns a ResponseWriter that throws the answer away: a handler
// served into it applies the request and answers no one.
func Discard() http.ResponseWriter { return discard{header: make(http.Header)} }

type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
