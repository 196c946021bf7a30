package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"go.uber.org/goleak"
)

// waitLimit bounds every wait, so a broken test fails instead of hanging.
const waitLimit = 20 * time.Second

// testKey is the key of the test servers.
const testKey = "0123456789abcdef0123456789abcdef"

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is a fake C2, a keeper of one of its tokens named c2 (its upstream
// possibly another server), and the endpoint serving it with testKey.
type env struct {
	fake   *c2test.Server
	c2     *httptest.Server
	issued string
	k      *keeper.Keeper
	srv    *httptest.Server
}

// setup starts the fake C2 and a keeper whose proxy forwards to upstream
// (the fake itself when nil).
func setup(t *testing.T, upstream http.Handler) *env {
	t.Helper()
	return setupObserved(t, upstream, nil)
}

// setupObserved is setup with obs receiving the keeper's events.
func setupObserved(t *testing.T, upstream http.Handler, obs tokenrefresh.Observer) *env {
	t.Helper()
	e := &env{fake: c2test.New(c2test.Options{})}
	e.c2 = httptest.NewServer(e.fake)
	t.Cleanup(e.c2.Close)
	e.issued = e.fake.IssueToken()
	tok := &config.Token{Source: config.C2, APIRoot: e.c2.URL,
		Token: config.Secret{Value: secret.New(e.issued)}, Fence: config.Duration{Set: true}}
	if upstream != nil {
		up := httptest.NewServer(upstream)
		t.Cleanup(up.Close)
		tok.Upstream = up.URL + "/base/"
	}
	k, err := keeper.Build(context.Background(), "c2", tok, keeper.Options{Logger: slog.New(slog.DiscardHandler), Secrets: &redact.Registry{}, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	select { // the issued token's age is unknown: it is rotated at once
	case <-k.Refreshed():
	case <-time.After(waitLimit):
		t.Fatal("no first rotation")
	}
	e.k = k
	e.srv = httptest.NewServer(New([]*keeper.Keeper{k}, slog.New(slog.DiscardHandler)).Handler([]byte(testKey)))
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request to the endpoint with the key and the caller's
// headers, and returns the answer with its body read.
func (e *env) do(t *testing.T, method, path string, body io.Reader, header ...string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+path, body)
	req.Header.Set(KeyHeader, testKey)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// bearerOf returns the token of an Authorization header.
func bearerOf(h http.Header) string {
	v, _ := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	return v
}

// ours reports whether tok is the issued token or one rotated from it.
func (e *env) ours(tok string) bool {
	for cur, ok := e.issued, true; ok; cur, ok = e.fake.Successor(cur) {
		if cur == tok {
			return true
		}
	}
	return false
}
