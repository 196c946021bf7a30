package bearer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bearer-go/bearer"
)

func TestClientSmoke(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t0k3n-value" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	}))
	defer srv.Close()
	c, err := bearer.NewClient(srv.URL+"/api/v1", bearer.WithTokenSource(bearer.StaticToken("t0k3n-value")))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Path string }
	if err := c.Get(context.Background(), "/users/me", &out); err != nil || out.Path != "/api/v1/users/me" {
		t.Fatalf("Get = %v, %+v", err, out)
	}
}
