package roundtrip_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

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

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as the real one does.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestDoFailsTheTestWhenTheRequestFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens any more
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/gone", nil)
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		roundtrip.Do(r, http.DefaultClient, req)
	}()
	<-done
	if !strings.HasPrefix(r.msg, "GET /gone: ") {
		t.Errorf("Do() to a closed server failed the test with %q; want the method, path and error", r.msg)
	}
}
