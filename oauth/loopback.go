package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

const (
	// callbackHeaderTimeout bounds the wait for a request's headers on the
	// loopback listener: a browser sends them at once.
	callbackHeaderTimeout = 10 * time.Second

	// shutdownGrace bounds how long the listener's last page may take to
	// be delivered before its connections are cut.
	shutdownGrace = 5 * time.Second
)

// callback is the loopback listener of one login (RFC 8252 7.3). It takes
// exactly one redirect to its path, then stops accepting connections.
type callback struct {
	ln          net.Listener
	srv         *http.Server
	path        string
	state       string
	redirectURI string
	served      chan struct{}       // closed when Serve has returned
	result      chan callbackResult // receives the one redirect's outcome
	once        sync.Once
}

type callbackResult struct {
	code string
	err  error
}

// listen opens the listener on 127.0.0.1 (port 0: an ephemeral one) and
// starts serving.
func listen(port int, path, state string) (*callback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("oauth: listen on 127.0.0.1 for the login redirect: %w", err)
	}
	cb := &callback{
		ln:          ln,
		path:        path,
		state:       state,
		redirectURI: fmt.Sprintf("http://127.0.0.1:%d%s", ln.Addr().(*net.TCPAddr).Port, path),
		served:      make(chan struct{}),
		result:      make(chan callbackResult, 1),
	}
	cb.srv = &http.Server{Handler: cb, ReadHeaderTimeout: callbackHeaderTimeout}
	go func() {
		defer close(cb.served)
		_ = cb.srv.Serve(ln) // ends when the listener closes
	}()
	return cb, nil
}

// wait returns the code of the redirect, or its error, or ctx's.
func (cb *callback) wait(ctx context.Context, authEndpoint string) (string, error) {
	select {
	case r := <-cb.result:
		var oe *Error
		if errors.As(r.err, &oe) {
			oe.Endpoint = authEndpoint
		}
		return r.code, r.err
	case <-ctx.Done():
		return "", fmt.Errorf("oauth: waiting for the login redirect: %w", ctx.Err())
	}
}

// close stops accepting, lets the last page be delivered, and waits for
// the server's goroutines.
func (cb *callback) close() {
	cb.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if cb.srv.Shutdown(ctx) != nil {
		cb.srv.Close()
	}
	<-cb.served
}

// ServeHTTP takes the first GET to the redirect path and answers every
// later one with 410 Gone; other paths are not found.
func (cb *callback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != cb.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	first := false
	cb.once.Do(func() { first = true })
	if !first {
		writePage(w, http.StatusGone, "Sign-in already handled", "This sign-in link was already used. You can close this window.")
		return
	}
	res := cb.check(r)
	if res.err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", failureText(res.err))
	} else {
		writePage(w, http.StatusOK, "Signed in", "You are signed in. You can close this window and return to the application.")
	}
	cb.ln.Close() // exactly one redirect: accept no more connections
	cb.result <- res
}

// check reads the redirect (RFC 6749 4.1.2): state first, compared in
// constant time, then error= or code.
func (cb *callback) check(r *http.Request) callbackResult {
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(cb.state)) != 1 {
		return callbackResult{err: fmt.Errorf("%w: start the login again", ErrStateMismatch)}
	}
	if code := q.Get("error"); code != "" {
		return callbackResult{err: &Error{Code: clean(code), Description: clean(q.Get("error_description")), URI: clean(q.Get("error_uri"))}}
	}
	if q.Get("code") == "" {
		return callbackResult{err: errors.New("oauth: the login redirect carried neither a code nor an error")}
	}
	return callbackResult{code: q.Get("code")}
}

// failureText is what the browser shows for a failed sign-in.
func failureText(err error) string {
	var oe *Error
	if errors.As(err, &oe) {
		msg := "The authorization server answered: " + oe.Code
		if oe.Description != "" {
			msg += ": " + oe.Description
		}
		return msg
	}
	if errors.Is(err, ErrStateMismatch) {
		return "This answer does not belong to the sign-in in progress (state mismatch). Start the sign-in again."
	}
	return "The answer carried neither a code nor an error. Start the sign-in again."
}

// writePage answers a plain HTML page with a Content-Length, so the
// browser has it all even if the listener closes right after.
func writePage(w http.ResponseWriter, status int, title, text string) {
	page := "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(title) +
		"</title></head>\n<body><h1>" + html.EscapeString(title) + "</h1>\n<p>" + html.EscapeString(text) + "</p></body></html>\n"
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(page))
}
