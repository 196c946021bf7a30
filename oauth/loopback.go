package oauth

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

const (
	// callbackHeaderTimeout bounds the wait for a request's headers on the
	// loopback listener: a browser sends them at once.
	callbackHeaderTimeout = 10 * time.Second

	// shutdownGrace bounds how long the listener's last page may take to
	// be delivered before its connections are cut.
	shutdownGrace = 5 * time.Second
)

// Login signs the user in as a native app does (RFC 8252): it listens on
// 127.0.0.1, checks that the server takes the authorization request (a
// request it refuses with 400, or answers with a redirect carrying
// error=, ends the login at once instead of in a browser tab nobody
// reads), opens the browser at it, takes exactly one redirect (then closes
// the listener), and finishes with [AuthCode.Exchange]. The browser shows
// a short page saying whether it worked.
//
// Errors: those of Exchange; [ErrLoginTimeout] after the timeout; the
// opener's error, at once, when the browser cannot be opened.
func (a *AuthCode) Login(ctx context.Context) (*oauth2.Token, error) {
	cb, err := listen(a.cfg.Port, a.cfg.RedirectPath)
	if err != nil {
		return nil, err
	}
	defer cb.close()
	authURL, sess := a.begin(cb.redirectURI)
	if err := a.preflight(ctx, authURL, sess); err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	opened, stopOpener := startOpener(waitCtx, a.cfg.OpenBrowser, authURL)
	defer stopOpener()
	for {
		select {
		case resp := <-cb.responses:
			tok, err := a.Exchange(ctx, sess, resp.query)
			resp.done <- err
			return tok, err
		case err := <-opened:
			if err != nil && waitCtx.Err() == nil {
				return nil, fmt.Errorf("oauth: open the browser: %w: set AuthCodeConfig.OpenBrowser to oauth.PrintURL(os.Stderr) to open the address yourself, or use the device grant where there is no browser", err)
			}
			opened = nil // it opened (or the wait ended, which the next case says)
		case <-waitCtx.Done():
			if ctx.Err() == nil {
				return nil, fmt.Errorf("%w within %v: run the login again", ErrLoginTimeout, a.cfg.Timeout)
			}
			return nil, fmt.Errorf("oauth: waiting for the login redirect: %w", ctx.Err())
		}
	}
}

// preflight sends the authorization request once without a browser, not
// following redirects, to catch what would otherwise end in a browser tab
// while Login waits its whole timeout: a 400 error page, which RFC 6749
// 4.1.2.1 has the server show for a bad client_id or redirect_uri, and a
// redirect back carrying error= (an invalid scope, say). Anything else,
// a login page, an approval, a status a bot filter gives non-browsers,
// or no answer at all, leaves the decision to the browser.
func (a *AuthCode) preflight(ctx context.Context, authURL string, sess *AuthSession) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return fmt.Errorf("oauth: build the authorization request: %w", err)
	}
	req.Header.Set("Accept", "text/html, application/json;q=0.9")
	ans, err := a.ep.fetch(req, nil)
	switch {
	case err != nil:
		return nil
	case ans.status == http.StatusBadRequest:
		return fmt.Errorf("%w: the server refused the authorization request before any sign-in (RFC 6749 4.1.2.1): check Client.ID, the redirect URI and the scopes", newError(ans, nil))
	case ans.status < 300 || ans.status > 399:
		return nil
	}
	loc, err := req.URL.Parse(ans.header.Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != sess.RedirectURI || !loc.Query().Has("error") {
		return nil
	}
	_, err = a.verify(sess, loc.Query())
	return err
}

// callback is the loopback listener of one login (RFC 8252 7.3). It takes
// exactly one redirect to its path, then stops accepting connections.
type callback struct {
	ln          net.Listener
	srv         *http.Server
	path        string
	redirectURI string
	served      chan struct{} // closed when Serve has returned
	ended       chan struct{} // closed when the login no longer listens
	responses   chan response // receives the one redirect
	once        sync.Once     // takes the first redirect
	endOnce     sync.Once     // closes ended
}

// response is the authorization response a browser brought, and where
// the login says how it ended, for the page the browser shows.
type response struct {
	query url.Values
	done  chan error
}

// listen opens the listener on 127.0.0.1 (port 0: an ephemeral one) and
// starts serving.
func listen(port int, path string) (*callback, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("oauth: listen on 127.0.0.1 for the login redirect: %w", err)
	}
	cb := &callback{
		ln:          ln,
		path:        path,
		redirectURI: fmt.Sprintf("http://127.0.0.1:%d%s", ln.Addr().(*net.TCPAddr).Port, path),
		served:      make(chan struct{}),
		ended:       make(chan struct{}),
		responses:   make(chan response, 1),
	}
	cb.srv = &http.Server{Handler: cb, ReadHeaderTimeout: callbackHeaderTimeout}
	go func() {
		defer close(cb.served)
		_ = cb.srv.Serve(ln) // ends when the listener closes
	}()
	return cb, nil
}

// close stops accepting, lets the last page be delivered, and waits for
// the server's goroutines.
func (cb *callback) close() {
	cb.endOnce.Do(func() { close(cb.ended) })
	cb.ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if cb.srv.Shutdown(ctx) != nil {
		cb.srv.Close()
	}
	<-cb.served
}

// errLoginEnded is the outcome shown when the redirect came after the
// login gave up.
var errLoginEnded = errors.New("oauth: the login had already ended")

// ServeHTTP hands the first GET to the redirect path to Login, waits for
// the outcome and shows it; every later one is answered 410 Gone; other
// paths are not found.
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
	cb.ln.Close() // exactly one redirect: accept no more connections
	resp := response{query: r.URL.Query(), done: make(chan error, 1)}
	cb.responses <- resp // buffered, and only the first request sends
	var err error
	select {
	case err = <-resp.done:
	case <-cb.ended:
		err = errLoginEnded
	case <-r.Context().Done():
		return
	}
	if err != nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", failureText(err))
		return
	}
	writePage(w, http.StatusOK, "Signed in", "You are signed in. You can close this window and return to the application.")
}

// failureText is what the browser shows for a failed sign-in. It never
// quotes a secret: the server's error code and description are its own.
func failureText(err error) string {
	var oe *Error
	switch {
	case errors.As(err, &oe) && oe.StatusCode == 0:
		msg := "The authorization server answered: " + oe.Code
		if oe.Description != "" {
			msg += ": " + oe.Description
		}
		return msg
	case errors.Is(err, ErrStateMismatch):
		return "This answer does not belong to the sign-in in progress (state mismatch). Start the sign-in again."
	case errors.Is(err, ErrIssuerMismatch):
		return "This answer comes from another authorization server than the sign-in started with (issuer mismatch). Start the sign-in again."
	case errors.Is(err, ErrNonceMismatch):
		return "The identity token does not belong to this sign-in (nonce mismatch). Start the sign-in again."
	case errors.Is(err, errLoginEnded):
		return "The application stopped waiting for this sign-in. Start it again."
	case errors.As(err, &oe):
		return "The application could not redeem the sign-in: the token endpoint answered " + strconv.Itoa(oe.StatusCode) + " " + oe.Code + ". Return to the application for details."
	}
	return "The sign-in could not be completed: " + oneLine(err) + ". Return to the application for details."
}

// oneLine is err's message without this package's prefix, for a page.
func oneLine(err error) string {
	return clean(strings.TrimPrefix(err.Error(), "oauth: "))
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
