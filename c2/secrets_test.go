package c2_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// canary is a token-shaped secret for the input checks: it must never
// come back in an error.
const canary = "c4a2a7c0ffee0123456789abcdefcafe"

// Across every failure path, no token (the one issued, or any rotated
// from it) appears in an error, a status, or a log line of the client or
// the fake.
func TestTokensNeverInErrorsOrLogs(t *testing.T) {
	var texts []string
	var envs []*env
	note := func(what string, v any) {
		if v != nil {
			texts = append(texts, fmt.Sprintf("%s: %v", what, v))
		}
	}
	scenario := func(name string, opts c2test.Options, run func(t *testing.T, e *env), wrap ...func(http.Handler) http.Handler) {
		t.Run(name, func(t *testing.T) {
			e := setup(t, opts, wrap...)
			envs = append(envs, e)
			run(t, e)
		})
	}

	scenario("503 then Retry-After", c2test.Options{}, func(t *testing.T, e *env) {
		e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 1})
		e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusTooManyRequests, RetryAfter: "90", Count: 1})
		c := e.newClient(t)
		e.expectRetry(t, c2.DefaultRetryInterval)
		note("status", c.Status())
		e.clk.Advance(c2.DefaultRetryInterval)
		e.expectRetry(t, 90*time.Second)
		note("status", c.Status())
		note("client", fmt.Sprintf("%+v %#v", c, c))
	})
	scenario("rotation lost", c2test.Options{}, func(t *testing.T, e *env) {
		e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, DropAfterApply: true, Count: 1})
		c := e.newClient(t)
		e.expectRetry(t, c2.DefaultRetryInterval)
		note("status", c.Status())
		e.clk.Advance(c2.DefaultRetryInterval)
		note("err", waitLost(t, c))
		note("status", c.Status())
		_, err := c.Drivers.List(ctx(t))
		note("api 401", err)
		_, err = c.Drivers.List(ctx(t))
		note("api after", err)
		_, err = c.Token(ctx(t))
		note("token", err)
	})
	scenario("timeout after apply", c2test.Options{}, func(t *testing.T, e *env) {
		c := e.newClient(t, c2.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
		e.expectRetry(t, c2.DefaultRetryInterval)
		note("status", c.Status())
		e.clk.Advance(c2.DefaultRetryInterval)
		note("err", waitLost(t, c))
	}, applyThenHang)
	scenario("revoked", c2test.Options{}, func(t *testing.T, e *env) {
		e.fake.Revoke(e.token)
		c, err := c2.Authenticate(ctx(t), e.srv.URL, e.token, e.options()...)
		note("authenticate", err)
		if c != nil {
			c.Close()
		}
	})
	scenario("api errors", c2test.Options{}, func(t *testing.T, e *env) {
		e.token = e.fake.IssueToken("slocum/*")
		c := e.newClient(t)
		e.waitRotation(t)
		_, err := c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "sailbuoy", PlatformSerial: "SB2016"})
		note("403", err)
		_, err = c.Plans.Patch(ctx(t), 404, map[string]int{"x": 1})
		note("404", err)
		e.fake.InjectFault(c2test.Fault{Method: http.MethodPost, DropAfterApply: true, Count: 1})
		note("dropped post", c.Logs.Post(ctx(t), map[string]string{"m": "x"}))
		e.fake.InjectFault(c2test.Fault{Method: http.MethodGet, Status: http.StatusNotImplemented})
		_, err = c.Drivers.List(ctx(t))
		note("501", err)
		e.fake.ClearFaults()
		cctx, cancel := context.WithCancel(ctx(t))
		cancel()
		_, err = c.Drivers.List(cctx)
		note("cancelled", err)
	})
	scenario("bad input", c2test.Options{}, func(t *testing.T, e *env) {
		for _, tc := range []struct{ root, token string }{
			{canary, e.srv.URL}, // arguments swapped
			{e.srv.URL, canary + " "},
			{e.srv.URL, canary + "\n"},
			{e.srv.URL, "<" + canary + ">"},
			{e.srv.URL, canary + "\x00"},
			{"http://example.com/" + canary, canary},
			{"https://user:" + canary + "@example.com", canary},
			{"https://example.com/?token=" + canary, canary},
			{"://" + canary, canary},
		} {
			c, err := c2.New(context.Background(), tc.root, tc.token)
			if err == nil {
				c.Close()
				t.Errorf("New(%q, …) = nil error", tc.root)
			}
			note("new", err)
		}
	})

	logs := ""
	var tokens []string
	for _, e := range envs {
		logs += e.logs.String()
		tokens = append(tokens, e.chain(e.token)...)
	}
	tokens = append(tokens, canary)
	mustContain(t, "logs", logs, "token refreshed", "token refresh failed", "c2test: request")
	for _, tok := range tokens {
		for _, s := range append(texts, strings.Split(logs, "\n")...) {
			if strings.Contains(s, tok) || strings.Contains(s, url.PathEscape(tok)) {
				t.Errorf("a token leaked into %q", s)
			}
		}
	}
	t.Logf("checked %d tokens against %d errors and statuses and %d log lines", len(tokens), len(texts), strings.Count(logs, "\n"))
}
