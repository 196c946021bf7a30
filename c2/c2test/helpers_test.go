package c2test_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/roundtrip"
)

// start is the time every test clock starts at.
var start = time.Date(2024, 5, 1, 12, 3, 0, 0, time.UTC)

// clock is a manual clock: time moves only when a test advances it.
type clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a fake served over loopback, with the clock that drives it.
type env struct {
	fake  *c2test.Server
	srv   *httptest.Server
	clock *clock
}

// setup serves a fake built from opts; a nil opts.Now becomes a manual
// clock starting at start.
func setup(t *testing.T, opts c2test.Options) *env {
	t.Helper()
	c := &clock{now: start}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	fake := c2test.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return &env{fake: fake, srv: srv, clock: c}
}

// newRequest builds a request to path (which may carry a query) with token
// as its bearer token, unless token is empty.
func (e *env) newRequest(t *testing.T, method, path, token, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, path, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// call sends a request and returns the response with its body read.
func (e *env) call(t *testing.T, method, path, token, body string) (*http.Response, []byte) {
	t.Helper()
	return e.send(t, e.newRequest(t, method, path, token, body))
}

// send sends req with the server's client and reads the whole answer.
func (e *env) send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	return roundtrip.Do(t, e.srv.Client(), req)
}

// status returns the status of a request.
func (e *env) status(t *testing.T, method, path, token, body string) int {
	t.Helper()
	resp, _ := e.call(t, method, path, token, body)
	return resp.StatusCode
}

// rotate refreshes token through Charon and returns the status and, on
// 200, the new token.
func (e *env) rotate(t *testing.T, token string) (int, string) {
	t.Helper()
	resp, b := e.call(t, http.MethodPut, c2test.TokensPathPrefix+token, token, "")
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, ""
	}
	var out struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("rotation answer %q: %v", b, err)
	}
	return resp.StatusCode, out.Payload
}

// detail returns the "detail" string of a FastAPI error body.
func detail(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return out.Detail
}

// validation is one entry of a FastAPI 422 body.
type validation struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"`
}

// validations decodes a FastAPI 422 body.
func validations(t *testing.T, body []byte) []validation {
	t.Helper()
	var out struct {
		Detail []validation `json:"detail"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("422 body %q: %v", body, err)
	}
	return out.Detail
}

// noKeepAlive is a client that opens a new connection per request, so Go's
// transport never retries a request whose connection was dropped.
func noKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

const positionsSlocum = c2test.PositionsPath + "?platform_type=slocum&platform_serial=unit_398"
