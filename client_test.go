package bearer_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
)

// fastRetries keeps retry waits short in tests.
func fastRetries() []bearer.Option {
	return []bearer.Option{bearer.WithRetryWait(time.Millisecond, 2*time.Millisecond)}
}

func newClient(t *testing.T, base string, opts ...bearer.Option) *bearer.Client {
	t.Helper()
	c, err := bearer.NewClient(base, append(fastRetries(), opts...)...)
	if err != nil {
		t.Fatalf("NewClient(%q) = %v", base, err)
	}
	return c
}

func TestNewClientRejectsBadInput(t *testing.T) {
	tests := []struct {
		base string
		opts []bearer.Option
		want string
	}{
		{"api.example.com", nil, "not an absolute"},
		{"ftp://api.example.com", nil, "not an absolute"},
		{"https://user:pw@api.example.com", nil, "must not carry"},
		{"http://api.example.com", []bearer.Option{bearer.WithTokenSource(bearer.StaticToken("k"))}, "refusing to send credentials over plain http"},
		{"https://api.example.com", []bearer.Option{bearer.WithTokenSource(nil)}, "WithTokenSource(nil)"},
		{"https://api.example.com", []bearer.Option{bearer.WithRetryMax(-1)}, "WithRetryMax"},
		{"https://api.example.com", []bearer.Option{bearer.WithRetryWait(time.Second, time.Millisecond)}, "WithRetryWait"},
		{"https://api.example.com", []bearer.Option{bearer.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"https://api.example.com", []bearer.Option{bearer.WithMaxResponseBytes(0)}, "WithMaxResponseBytes"},
	}
	for _, tt := range tests {
		_, err := bearer.NewClient(tt.base, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewClient(%q) = %v; want an error mentioning %q", tt.base, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("NewClient error leaks the password: %v", err)
		}
	}
}

func TestClientResolvesPathsBelowTheBase(t *testing.T) {
	a := newAPI(t, "k")
	c := newClient(t, a.srv.URL+"/api/v1", bearer.WithTokenSource(bearer.StaticToken("k")))
	for path, want := range map[string]string{
		"users/me":                 "/api/v1/users/me",
		"/users/me":                "/api/v1/users/me",
		a.srv.URL + "/other/place": "/other/place",
	} {
		var out struct{ Path string }
		if err := c.Get(context.Background(), path, &out); err != nil || out.Path != want {
			t.Errorf("Get(%q) = %v, path %q; want %q", path, err, out.Path, want)
		}
	}
	if _, err := c.NewRequest(context.Background(), "GET", "https://evil.example.com/x", nil); err == nil {
		t.Error("NewRequest to another host = nil error; the token must not go there")
	}
	req, _ := http.NewRequest("GET", "https://evil.example.com/x", nil)
	if _, err := c.Do(req, nil); err == nil {
		t.Error("Do of a request to another host = nil error")
	}
}

func TestClientJSONRoundTrip(t *testing.T) {
	a := newAPI(t, "k")
	c := newClient(t, a.srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")))
	var out struct{ Method, Body string }
	if err := c.Post(context.Background(), "/plans", map[string]int{"n": 7}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Method != "POST" || out.Body != `{"n":7}` {
		t.Errorf("Post echoed %+v; want POST with {\"n\":7}", out)
	}
	var buf bytes.Buffer
	req, _ := c.NewRequest(context.Background(), "GET", "/stream", nil)
	if _, err := c.Do(req, &buf); err != nil || !strings.Contains(buf.String(), `"path":"/stream"`) {
		t.Errorf("Do(io.Writer) = %v, %q", err, buf.String())
	}
	if err := c.Delete(context.Background(), "/x"); err != nil {
		t.Errorf("Delete = %v", err)
	}
}

func TestClientBoundsDecodedResponses(t *testing.T) {
	a := newAPI(t, "k")
	a.handle(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`"` + strings.Repeat("a", 4096) + `"`))
	})
	c := newClient(t, a.srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")), bearer.WithMaxResponseBytes(1024))
	var s string
	err := c.Get(context.Background(), "/big", &s)
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 bytes") {
		t.Errorf("Get of a 4 KiB body with a 1 KiB limit = %v; want a size error", err)
	}
}

func TestClientErrors(t *testing.T) {
	tests := []struct {
		name              string
		status            int
		header            map[string]string
		body              string
		wantCode, wantMsg string
		wantIs            error
		wantRequestID     string
		wantPermanent     bool
	}{
		{"rfc6749", 400, map[string]string{"Content-Type": "application/json"},
			`{"error":"invalid_grant","error_description":"refresh token expired","error_uri":"https://x/doc"}`,
			"invalid_grant", "refresh token expired", nil, "", true},
		{"rfc6750 challenge", 401, map[string]string{"WWW-Authenticate": `Bearer realm="c2", error="invalid_token", error_description="expired \"yesterday\""`},
			``, "invalid_token", `expired "yesterday"`, bearer.ErrUnauthorized, "", true},
		{"fastapi code", 400, nil, `{"detail":"LOGIN_BAD_CREDENTIALS"}`, "LOGIN_BAD_CREDENTIALS", "", nil, "", true},
		{"fastapi sentence", 403, nil, `{"detail":"Missing permission: view platform slocum/398"}`, "", "Missing permission: view platform slocum/398", bearer.ErrForbidden, "", true},
		{"fastapi validation", 422, nil, `{"detail":[{"loc":["query","platform_type"],"msg":"field required","type":"missing"}]}`,
			"", "query.platform_type: field required", nil, "", true},
		{"message code", 401, nil, `{"message":"token-expired","status":"error"}`, "token-expired", "", bearer.ErrUnauthorized, "", true},
		{"google style", 429, map[string]string{"Retry-After": "3"}, `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`,
			"429", "slow down", bearer.ErrRateLimited, "", false},
		{"plain text", 404, map[string]string{"X-Request-Id": "req-42"}, "no such plan\nsecond line", "", "no such plan", bearer.ErrNotFound, "req-42", true},
		{"html", 502, map[string]string{"Content-Type": "text/html"}, "<html><head><title>502 Bad Gateway</title></head></html>", "", "HTML page: 502 Bad Gateway", nil, "", false},
		{"problem", 409, nil, `{"title":"Conflict","status":409}`, "", "Conflict", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, "k")
			a.handle(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			c := newClient(t, a.srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")), bearer.WithRetryMax(0))
			err := c.Get(context.Background(), "/x", nil)
			var ae *bearer.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("Get = %v; want *APIError", err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.wantCode || ae.Message != tt.wantMsg || ae.RequestID != tt.wantRequestID {
				t.Errorf("APIError = {%d %q %q %q}; want {%d %q %q %q}", ae.StatusCode, ae.Code, ae.Message, ae.RequestID,
					tt.status, tt.wantCode, tt.wantMsg, tt.wantRequestID)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
			if ae.Permanent() != tt.wantPermanent {
				t.Errorf("Permanent() = %v; want %v", ae.Permanent(), tt.wantPermanent)
			}
			if ae.Method != "GET" || !strings.HasSuffix(ae.URL, "/x") {
				t.Errorf("APIError names %s %s", ae.Method, ae.URL)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Error() spans lines: %q", err.Error())
			}
		})
	}
}

// counting returns a handler answering statuses in turn (the last one
// repeats), counting requests.
func counting(n *atomic.Int64, statuses ...int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(statuses) {
			i = len(statuses) - 1
		}
		if statuses[i] == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "0")
		}
		w.WriteHeader(statuses[i])
	}
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		idempotent   bool
		statuses     []int
		wantRequests int64
		wantErr      bool
	}{
		{"GET 503 then 200", "GET", false, []int{503, 503, 200}, 3, false},
		{"GET 429 then 200", "GET", false, []int{429, 200}, 2, false},
		{"PUT 500 then 200", "PUT", false, []int{500, 200}, 2, false},
		{"GET 501 is final", "GET", false, []int{501, 200}, 1, true},
		{"GET 400 is final", "GET", false, []int{400, 200}, 1, true},
		{"POST 503 not retried", "POST", false, []int{503, 200}, 1, true},
		{"PATCH 503 not retried", "PATCH", false, []int{503, 200}, 1, true},
		{"POST with idempotency key retried", "POST", true, []int{503, 200}, 2, false},
		{"GET gives up after RetryMax", "GET", false, []int{503}, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(counting(&n, tt.statuses...))
			defer srv.Close()
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")))
			req, _ := c.NewRequest(context.Background(), tt.method, "/x", map[string]int{"a": 1})
			if tt.idempotent {
				req.Header.Set(bearer.IdempotencyKeyHeader, "key-1")
			}
			_, err := c.Do(req, nil)
			if (err != nil) != tt.wantErr || n.Load() != tt.wantRequests {
				t.Errorf("Do = %v after %d requests; want error %v after %d", err, n.Load(), tt.wantErr, tt.wantRequests)
			}
		})
	}
}

func TestClientRetryAfterAboveCapIsReturned(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, bearer.WithMaxRetryAfter(time.Second))
	err := c.Get(context.Background(), "/x", nil)
	var ae *bearer.APIError
	if !errors.As(err, &ae) || ae.RetryAfter != time.Hour || n.Load() != 1 {
		t.Errorf("Get = %v after %d requests; want a 429 APIError with RetryAfter 1h after 1 request", err, n.Load())
	}
}

func TestClientRetriesPostThatNeverLeft(t *testing.T) {
	// A port that refuses connections: listen, note it, close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var attempts atomic.Int64
	c := newClient(t, "http://"+addr, bearer.WithRetryMax(2),
		bearer.WithHTTPClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})}))
	err = c.Post(context.Background(), "/log", map[string]string{"m": "x"}, nil)
	var re *bearer.RequestError
	if !errors.As(err, &re) || attempts.Load() != 3 {
		t.Errorf("Post to a closed port = %v after %d attempts; want *RequestError after 3", err, attempts.Load())
	}
}

func TestClientDoesNotRetryPostCutAfterSending(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close() // the server got it, the client gets no answer
	}))
	defer srv.Close()
	c := newClient(t, srv.URL)
	if err := c.Post(context.Background(), "/log", map[string]string{"m": "x"}, nil); err == nil {
		t.Fatal("Post = nil error; want the transport error")
	}
	if n.Load() != 1 {
		t.Errorf("server received %d POSTs; want 1 (no duplicates)", n.Load())
	}
}

func TestClientReplaysAfterRevoke(t *testing.T) {
	a := newAPI(t, "tok-1")
	src := &rotatingSource{}
	c := newClient(t, a.srv.URL, bearer.WithTokenSource(src))
	if err := c.Get(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	a.setValid("tok-2") // the server revokes tok-1
	var out struct{ Body string }
	if err := c.Put(context.Background(), "/x", map[string]int{"v": 2}, &out); err != nil || out.Body != `{"v":2}` {
		t.Fatalf("Put after revoke = %v, %+v; want success with the body replayed", err, out)
	}
	if src.Made() != 2 {
		t.Errorf("tokens made = %d; want 2", src.Made())
	}
}

func TestClientHonoursContext(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c := newClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Get(ctx, "/slow", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get with an expiring ctx = %v; want DeadlineExceeded", err)
	}
}
