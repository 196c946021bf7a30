package bearer_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer"
	"golang.org/x/oauth2"
)

// recordAuth returns an API that records the Authorization of every
// request, in order.
func recordAuth(t *testing.T) (*api, func() []string) {
	a := newAPI(t, "k")
	var mu sync.Mutex
	var seen []string
	a.handle(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		io.WriteString(w, "{}")
	})
	return a, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// TestHeaderSlicesAreNotShared: a caller that redacts the Authorization of
// resp.Request before logging it changes nothing the next request sends,
// through Transport and through Client.
func TestHeaderSlicesAreNotShared(t *testing.T) {
	a, seen := recordAuth(t)
	hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken("k")}}
	c := newClient(t, a.srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")))
	send := map[string]func() *http.Response{
		"Transport": func() *http.Response {
			resp, err := hc.Get(a.srv.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		},
		"Client": func() *http.Response {
			req, _ := c.NewRequest(context.Background(), "GET", "/x", nil)
			resp, err := c.Do(req, nil)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		},
	}
	for name, do := range send {
		for i := range 3 {
			resp := do()
			if got := resp.Request.Header["Authorization"]; len(got) != 1 || got[0] != "Bearer k" {
				t.Fatalf("%s: request %d: resp.Request Authorization = %q", name, i, got)
			}
			resp.Request.Header["Authorization"][0] = "REDACTED" // as a careful logger might
		}
	}
	for i, v := range seen() {
		if v != "Bearer k" {
			t.Errorf("request %d was sent with Authorization %q; want Bearer k", i, v)
		}
	}
}

// policySource is a RejectionPolicy that renews on the codes in renew,
// counting its calls.
type policySource struct {
	rotatingSource
	renew   map[string]bool
	mu      sync.Mutex // guards seen
	seen    []bearer.Rejection
	rejects atomic.Int64
}

func (p *policySource) Reject(_ context.Context, r bearer.Rejection) bearer.Verdict {
	p.rejects.Add(1)
	p.mu.Lock()
	p.seen = append(p.seen, r)
	p.mu.Unlock()
	if p.renew[r.Code] {
		p.Invalidate(r.Token.Reveal())
		return bearer.Renew
	}
	return bearer.Stand
}

func TestRejectionPolicyDecides(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantCalls int64 // requests the server sees
		wantTok   int   // tokens made
	}{
		{"a renewing code, even with 403", 403, `{"message":"token-expired"}`, 2, 2},
		{"a code that stands, even with 401", 401, `{"message":"authorisation-required"}`, 1, 1},
		{"a challenge's code", 401, ``, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, "tok-1")
			a.handle(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "Bearer tok-2" {
					io.WriteString(w, "{}")
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			src := &policySource{renew: map[string]bool{"token-expired": true, "invalid_token": true}}
			for _, via := range []string{"Transport", "Client"} {
				src.rotatingSource = rotatingSource{}
				a.requests.Store(0)
				var err error
				if via == "Transport" {
					hc := &http.Client{Transport: &bearer.Transport{Source: src}}
					var resp *http.Response
					resp, err = hc.Post(a.srv.URL+"/x", "application/json", strings.NewReader("{}"))
					if err == nil {
						resp.Body.Close()
					}
				} else {
					c := newClient(t, a.srv.URL, bearer.WithTokenSource(src), bearer.WithRetryMax(0))
					err = c.Post(context.Background(), "/x", map[string]int{}, nil)
				}
				if a.requests.Load() != tt.wantCalls || src.Made() != tt.wantTok {
					t.Errorf("%s: %d requests, %d tokens (err %v); want %d, %d", via, a.requests.Load(), src.Made(), err, tt.wantCalls, tt.wantTok)
				}
			}
			if n := src.rejects.Load(); n != 2 {
				t.Errorf("Reject called %d times for two requests; want once per request, never for a replay", n)
			}
		})
	}
}

// cookieSource is an Authorizer: its token goes in a cookie.
type cookieSource struct{ rotatingSource }

func (s *cookieSource) Authorize(req *http.Request, tok *oauth2.Token) {
	req.Header["Cookie"] = []string{"session=" + tok.AccessToken}
}

func TestAuthorizerSetsItsOwnHeader(t *testing.T) {
	var mu sync.Mutex
	var cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie")+"|"+strconv.Itoa(len(r.Header["Authorization"])))
		mu.Unlock()
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, bearer.WithTokenSource(&cookieSource{}))
	hc := &http.Client{Transport: &bearer.Transport{Source: &cookieSource{}}}
	if err := c.Get(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	resp, err := hc.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(cookies) != 2 || cookies[0] != "session=tok-1|0" || cookies[1] != "session=tok-1|0" {
		t.Errorf("Cookie|Authorization sent = %q; want session=tok-1 and no Authorization, twice", cookies)
	}
}

func TestClientClose(t *testing.T) {
	a := newAPI(t, "k")
	c := newClient(t, a.srv.URL, bearer.WithTokenSource(bearer.StaticToken("k")))
	if err := c.Get(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if err := c.Get(context.Background(), "/x", nil); !errors.Is(err, bearer.ErrClosed) {
		t.Errorf("Get after Close = %v; want ErrClosed", err)
	}
	if n := a.requests.Load(); n != 1 {
		t.Errorf("server saw %d requests; want 1", n)
	}
}

// TestStreamedBodyIsSentOnce: a body that cannot be read twice is neither
// retried after a 503 nor replayed after a 401, but a 401 still tells the
// source its token is dead.
func TestStreamedBodyIsSentOnce(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusUnauthorized} {
		a := newAPI(t, "tok-1")
		a.handle(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
		src := &rotatingSource{}
		c := newClient(t, a.srv.URL, bearer.WithTokenSource(src), bearer.WithRetryMax(3))
		req, _ := c.NewRequest(context.Background(), "POST", "/upload", io.MultiReader(strings.NewReader("streamed")))
		_, err := c.Do(req, nil)
		var ae *bearer.APIError
		if !errors.As(err, &ae) || ae.StatusCode != status {
			t.Errorf("streamed POST answered %d = %v; want that APIError", status, err)
		}
		if n := a.requests.Load(); n != 1 {
			t.Errorf("streamed POST answered %d was sent %d times; want once", status, n)
		}
		if body := <-a.bodies; body != "streamed" {
			t.Errorf("the server read %q; want the whole body", body)
		}
		if _, err := src.Token(context.Background()); err != nil || (status == 401) != (src.Made() == 2) {
			t.Errorf("after a %d, %d tokens made; want a new one only after a 401", status, src.Made())
		}
	}
}
