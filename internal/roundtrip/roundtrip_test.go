package roundtrip_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/fataltest"
	"github.com/bearer-go/bearer/internal/roundtrip"
)

func TestDoReturnsTheWholeAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen", r.Method)
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, "short and stout")
	}))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pot", nil)
	resp, body := roundtrip.Do(t, srv.Client(), req)
	if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Seen") != "POST" || string(body) != "short and stout" {
		t.Errorf("Do() = %d, %v, %q; want 418, X-Seen: POST, the body", resp.StatusCode, resp.Header, body)
	}
}

func TestDoFailsTheTestWhenTheRequestFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gone", nil)
	msg := fataltest.Run(t, func(tb testing.TB) { roundtrip.Do(tb, http.DefaultClient, req) })
	if !strings.HasPrefix(msg, "GET /gone: ") {
		t.Errorf("Do() to a closed server failed the test with %q; want the method, path and error", msg)
	}
}
