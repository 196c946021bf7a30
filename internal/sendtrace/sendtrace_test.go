package sendtrace

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMaybeSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, tr := Track(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !tr.MaybeSent() {
		t.Error("MaybeSent() = false after a request that was answered")
	}

	refused := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("connection refused")
	}}}
	ctx, tr = Track(context.Background())
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, srv.URL, nil)
	if _, err := refused.Do(req); err == nil {
		t.Fatal("a refused dial succeeded")
	}
	if tr.MaybeSent() {
		t.Error("MaybeSent() = true for a request that never got a connection")
	}
}
