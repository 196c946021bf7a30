package bearer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// api is a test API that accepts exactly one token value at a time and
// records what it saw.
type api struct {
	srv      *httptest.Server
	mu       sync.Mutex // guards valid, handler
	valid    string
	handler  http.HandlerFunc
	requests atomic.Int64
	bodies   chan string // every request body, in order
}

func newAPI(t *testing.T, valid string) *api {
	t.Helper()
	a := &api{valid: valid, bodies: make(chan string, 1000)}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *api) serve(w http.ResponseWriter, r *http.Request) {
	a.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	a.bodies <- string(body)
	a.mu.Lock()
	valid, h := a.valid, a.handler
	a.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token is invalid"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if h != nil {
		h(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"method":%q,"path":%q,"body":%q}`, r.Method, r.URL.Path, body)
}

func (a *api) setValid(v string) {
	a.mu.Lock()
	a.valid = v
	a.mu.Unlock()
}

func (a *api) handle(h http.HandlerFunc) {
	a.mu.Lock()
	a.handler = h
	a.mu.Unlock()
}

// rotatingSource hands out tok-1, tok-2, … and replaces its token when
// invalidated, counting the tokens it made.
type rotatingSource struct {
	mu     sync.Mutex // guards cur, made
	cur    *oauth2.Token
	made   int
	prefix string // token values are prefix + "tok-N"
}

func (s *rotatingSource) Token(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		s.made++
		s.cur = &oauth2.Token{AccessToken: fmt.Sprintf("%stok-%d", s.prefix, s.made)}
	}
	return s.cur, nil
}

func (s *rotatingSource) Invalidate(rejected *oauth2.Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != nil && s.cur.AccessToken == rejected.AccessToken {
		s.cur = nil
	}
}

func (s *rotatingSource) Made() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.made
}

// trackingBody records whether it was closed.
type trackingBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackingBody) Close() error { b.closed.Store(true); return nil }

// fmtAll formats v every way a log line might.
func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s", v, v, v, v)
}

// waitLimit bounds every wait in these tests, so a broken test fails
// instead of hanging.
const waitLimit = 20 * time.Second
