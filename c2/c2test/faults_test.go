package c2test_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

func TestFaultStatusThenRecovery(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix,
		Status: http.StatusServiceUnavailable, Count: 3, RetryAfter: "2"})

	for i := range 3 {
		resp, body := e.call(t, http.MethodPut, c2test.TokensPathPrefix+tok, tok, "")
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" ||
			detail(t, body) != "Service Unavailable" {
			t.Fatalf("rotation %d = %d, Retry-After %q, %s; want 503, 2, Service Unavailable",
				i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	if !e.fake.Valid(tok) {
		t.Fatalf("token died during 503s; a fault status must not apply the request")
	}
	if status, _ := e.rotate(t, tok); status != http.StatusOK {
		t.Errorf("rotation after the fault is spent = %d; want 200", status)
	}
	st := e.fake.Stats()
	if st.FaultsApplied != 3 || st.Rotations != 1 || st.Requests["PUT /charon/tokens/{token}"] != 4 {
		t.Errorf("Stats() = %+v; want 3 faults, 1 rotation, 4 PUTs", st)
	}
}

func TestFaultMatching(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.fake.InjectFault(c2test.Fault{Method: "get", Path: c2test.DriversPath, Status: http.StatusBadGateway,
		Body: `<html>502 Bad Gateway</html>`})
	for _, ep := range endpoints {
		want := http.StatusOK
		switch {
		case ep.path == c2test.DriversPath:
			want = http.StatusBadGateway
		case ep.method == http.MethodPost:
			want = http.StatusCreated
		}
		resp, body := e.call(t, ep.method, ep.path, tok, ep.body)
		if resp.StatusCode != want {
			t.Errorf("%s %s = %d; want %d", ep.method, ep.path, resp.StatusCode, want)
		}
		if want == http.StatusBadGateway && string(body) != `<html>502 Bad Gateway</html>` {
			t.Errorf("fault body = %q; want the injected body", body)
		}
	}
	if got := e.status(t, http.MethodGet, c2test.DriversPath, tok, ""); got != http.StatusBadGateway {
		t.Errorf("second GET drivers under a fault without Count = %d; want 502", got)
	}
	e.fake.ClearFaults()
	if got := e.status(t, http.MethodGet, c2test.DriversPath, tok, ""); got != http.StatusOK {
		t.Errorf("GET drivers after ClearFaults = %d; want 200", got)
	}
}

func TestFaultsApplyInOrder(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.fake.InjectFault(c2test.Fault{Status: http.StatusInternalServerError, Count: 1})
	e.fake.InjectFault(c2test.Fault{Status: http.StatusTooManyRequests, Count: 2})
	var got []int
	for range 4 {
		got = append(got, e.status(t, http.MethodGet, c2test.DriversPath, tok, ""))
	}
	if want := []int{500, 429, 429, 200}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v; want %v", got, want)
	}
}

func TestFaultDelay(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	const delay = 50 * time.Millisecond
	e.fake.InjectFault(c2test.Fault{Path: c2test.DriversPath, Delay: delay, Count: 1})
	began := time.Now()
	got := e.status(t, http.MethodGet, c2test.DriversPath, tok, "")
	if elapsed := time.Since(began); got != http.StatusOK || elapsed < delay {
		t.Errorf("GET drivers under a %v delay = %d after %v; want 200 after at least the delay", delay, got, elapsed)
	}
}

func TestFaultBlockHoldsUntilReleased(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	release, arrived := make(chan struct{}), make(chan struct{})
	e.fake.InjectFault(c2test.Fault{Path: c2test.DriversPath, Block: release, Count: 1,
		OnMatch: func() { close(arrived) }})

	result := make(chan int, 1)
	req := e.newRequest(t, http.MethodGet, c2test.DriversPath, tok, "")
	go func() {
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Errorf("GET drivers: %v", err)
			result <- 0
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	<-arrived
	select {
	case got := <-result:
		t.Fatalf("held request answered %d before release", got)
	default:
	}
	close(release)
	if got := <-result; got != http.StatusOK {
		t.Errorf("released request = %d; want 200", got)
	}
}

func TestHeldRequestIsNotAppliedWhenClientLeaves(t *testing.T) {
	// Should a handler stay held, the test fails after a few seconds and
	// its cleanup frees the handler (the block closes, the delay ends).
	const limit = 5 * time.Second
	tests := []struct {
		name  string
		block bool
		delay time.Duration
	}{
		{name: "block", block: true},
		{name: "delay", delay: 3 * limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, c2test.Options{})
			tok := e.fake.IssueToken()
			arrived := make(chan struct{})
			f := c2test.Fault{Path: c2test.LogPath, Count: 1, Delay: tt.delay, OnMatch: func() { close(arrived) }}
			if tt.block {
				release := make(chan struct{})
				f.Block = release
				t.Cleanup(func() { close(release) }) // runs before the server closes
			}
			e.fake.InjectFault(f)

			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			req := e.newRequest(t, http.MethodPost, c2test.LogPath, tok, `{"message":"held"}`)
			go func() {
				resp, err := e.srv.Client().Do(req.WithContext(ctx))
				if err == nil {
					resp.Body.Close()
				}
				errc <- err
			}()
			<-arrived
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("Do = %v; want context.Canceled", err)
			}
			closeWithin(t, e.srv, limit) // returns once the held handler has given up
			if n := len(e.fake.Logs()); n != 0 {
				t.Errorf("Logs() holds %d entries; want 0: the held request must not be applied", n)
			}
		})
	}
}

func TestFaultDrop(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Drop: true, Count: 1})

	resp, err := noKeepAlive().Do(e.newRequest(t, http.MethodPut, c2test.TokensPathPrefix+tok, tok, ""))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("PUT under Drop = %d; want a transport error", resp.StatusCode)
	}
	if !e.fake.Valid(tok) {
		t.Errorf("token died; Drop must not apply the rotation")
	}
	if st := e.fake.Stats(); st.Rotations != 0 || st.Dropped != 1 {
		t.Errorf("Stats() = %+v; want 0 rotations, 1 dropped", st)
	}
	if status, _ := e.rotate(t, tok); status != http.StatusOK {
		t.Errorf("rotation after the drop = %d; want 200", status)
	}
}

func TestFaultDropAfterApplyRotation(t *testing.T) {
	clients := []struct {
		name   string
		client func(e *env) *http.Client
	}{
		{"new connection", func(*env) *http.Client { return noKeepAlive() }},
		{"reused connection", func(e *env) *http.Client { return e.srv.Client() }},
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, c2test.Options{})
			old := e.fake.IssueToken()
			client := c.client(e)
			warm, err := client.Do(e.newRequest(t, http.MethodGet, c2test.DriversPath, old, ""))
			if err != nil {
				t.Fatalf("warm-up GET: %v", err)
			}
			warm.Body.Close()
			e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix,
				DropAfterApply: true, Count: 1})

			resp, err := client.Do(e.newRequest(t, http.MethodPut, c2test.TokensPathPrefix+old, old, ""))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("PUT under DropAfterApply = %d; want a transport error", resp.StatusCode)
			}
			if st := e.fake.Stats(); st.Rotations != 1 || st.Dropped != 1 {
				t.Errorf("Stats() = %+v; want 1 rotation, 1 dropped", st)
			}
			if got := e.status(t, http.MethodGet, c2test.DriversPath, old, ""); got != http.StatusUnauthorized {
				t.Errorf("GET with the old token = %d; want 401: the rotation was applied", got)
			}
			next, ok := e.fake.Successor(old)
			if !ok || e.status(t, http.MethodGet, c2test.DriversPath, next, "") != http.StatusOK {
				t.Errorf("Successor(old) = %q, %v; want a working token", next, ok)
			}
		})
	}
}

func TestFaultDropAfterApplyLogLeavesDuplicate(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPost, Path: c2test.LogPath, DropAfterApply: true, Count: 1})
	const entry = `{"message":"once"}`
	resp, err := noKeepAlive().Do(e.newRequest(t, http.MethodPost, c2test.LogPath, tok, entry))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST under DropAfterApply = %d; want a transport error", resp.StatusCode)
	}
	if got := e.status(t, http.MethodPost, c2test.LogPath, tok, entry); got != http.StatusCreated {
		t.Fatalf("retried POST = %d; want 201", got)
	}
	logs := e.fake.Logs()
	if len(logs) != 2 || string(logs[0].Body) != string(logs[1].Body) {
		t.Errorf("Logs() = %+v; want the entry twice: the dropped POST was applied", logs)
	}
}

func TestFaultDropOverHTTP2(t *testing.T) {
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewUnstartedServer(fake)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	old := fake.IssueToken()
	fake.InjectFault(c2test.Fault{Path: c2test.TokensPathPrefix, DropAfterApply: true, Count: 1})

	req, err := http.NewRequest(http.MethodPut, srv.URL+c2test.TokensPathPrefix+old, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+old)
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("PUT over HTTP/2 under DropAfterApply = %d %s; want a transport error", resp.StatusCode, resp.Proto)
	}
	if _, ok := fake.Successor(old); !ok || fake.Valid(old) {
		t.Errorf("the rotation was not applied before the stream was reset")
	}
}

// closeWithin closes srv, which waits for its handlers, and fails the test
// if that takes longer than limit: a handler is stuck.
func closeWithin(t *testing.T, srv *httptest.Server, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("a handler is still running %v after its client left", limit)
	}
}
