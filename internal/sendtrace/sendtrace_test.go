package sendtrace

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bearer-go/bearer/internal/httpx"
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

func TestMaybeApplied(t *testing.T) {
	sent, unsent := &Tracker{}, &Tracker{}
	sent.conn.Store(true)
	cut := errors.New("connection reset")
	redirect := httpx.NewRedirectError("test", "PUT", "https://a.example/x", 307, "https://b.example")
	for _, tt := range []struct {
		name   string
		t      *Tracker
		status int
		err    error
		want   bool
	}{
		{"500 after sending", sent, 500, errors.New("500"), true},
		{"502 from a gateway", sent, 502, errors.New("502"), true},
		{"400 refused", sent, 400, errors.New("400"), false},
		{"401 rejected", sent, 401, errors.New("401"), false},
		{"redirect", sent, 0, redirect, false},
		{"cut after a connection", sent, 0, cut, true},
		{"no connection", unsent, 0, cut, false},
		{"success", sent, 0, nil, false},
	} {
		if got := tt.t.MaybeApplied(tt.status, tt.err); got != tt.want {
			t.Errorf("%s: MaybeApplied(%d, %v) = %v; want %v", tt.name, tt.status, tt.err, got, tt.want)
		}
	}
}
