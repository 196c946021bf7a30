package c2test_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
)

func TestOnRotateIsCalledOncePerAppliedRotation(t *testing.T) {
	var calls atomic.Int64
	fake := c2test.New(c2test.Options{OnRotate: func() { calls.Add(1) }})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	tok := fake.IssueToken()
	put := func(tok string) int {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+c2test.TokensPathPrefix+tok, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := put(tok); got != http.StatusOK {
		t.Fatalf("rotation = %d; want 200", got)
	}
	if got := put(tok); got != http.StatusUnauthorized { // the old token is dead
		t.Fatalf("second rotation of the old token = %d; want 401", got)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("OnRotate called %d times; want 1 (refused rotations do not count)", n)
	}
}

func TestOnUnauthorizedIsCalledForEach401(t *testing.T) {
	var routes []string
	var mu sync.Mutex
	fake := c2test.New(c2test.Options{OnUnauthorized: func(route string) {
		mu.Lock()
		routes = append(routes, route)
		mu.Unlock()
	}})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	get := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/apf/drivers", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(fake.IssueToken()); got != http.StatusOK {
		t.Fatalf("GET with a live token = %d; want 200", got)
	}
	if got := get("not-a-token"); got != http.StatusUnauthorized {
		t.Fatalf("GET with a dead token = %d; want 401", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(routes) != 1 || routes[0] != "GET /apf/drivers" {
		t.Errorf("OnUnauthorized got %q; want one call for GET /apf/drivers", routes)
	}
}
