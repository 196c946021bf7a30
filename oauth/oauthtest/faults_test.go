package oauthtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth/oauthtest"
)

func mustInject(t *testing.T, srv *oauthtest.Server, f oauthtest.Fault) {
	t.Helper()
	if err := srv.InjectFault(f); err != nil {
		t.Fatalf("InjectFault(%+v): %v", f, err)
	}
}

func TestFaultStatusNTimes(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	mustInject(t, f.srv, oauthtest.Fault{Kind: oauthtest.FaultStatus, Path: oauthtest.TokenPath, Status: 503, Count: 2, RetryAfter: "7"})
	for i := range 2 {
		a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
		wantError(t, a, http.StatusServiceUnavailable, "detail", "Service Unavailable")
		if got := a.header.Get("Retry-After"); got != "7" {
			t.Errorf("faulted request %d: Retry-After = %q; want 7", i+1, got)
		}
		// Other paths are not affected.
		if a := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok, nil); a.status != http.StatusOK {
			t.Errorf("users/me during a token fault = %d; want 200", a.status)
		}
	}
	mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if st := f.srv.Stats(); st.Faults != 2 || st.TokensIssued != 2 {
		t.Errorf("Stats() = %+v; want 2 faults and 2 tokens", st)
	}
}

func TestFaultHTML502(t *testing.T) {
	f := setup(t)
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultHTML, Path: oauthtest.TokenPath})
	a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if a.status != http.StatusBadGateway || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") ||
		!strings.HasPrefix(string(a.body), "<html>") {
		t.Errorf("token with an HTML fault = %d %q %.40s; want 502 text/html <html>", a.status, a.header.Get("Content-Type"), a.body)
	}
}

func TestFaultOversized(t *testing.T) {
	f := setup(t)
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultOversized, Path: oauthtest.TokenPath})
	a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if a.status != http.StatusOK || len(a.body) != 2*oauthtest.MaxBodyBytes ||
		a.header.Get("Content-Length") != strconv.Itoa(2*oauthtest.MaxBodyBytes) || !strings.HasPrefix(string(a.body), `{"access_token":"aaa`) {
		t.Errorf("token with an oversized fault = %d, %d bytes (Content-Length %s); want 200, %d bytes",
			a.status, len(a.body), a.header.Get("Content-Length"), 2*oauthtest.MaxBodyBytes)
	}
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultOversized, Size: 100})
	if a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil); len(a.body) != 100 {
		t.Errorf("oversized fault of Size 100: %d bytes", len(a.body))
	}
}

func TestFaultErrorIn200(t *testing.T) {
	f := setup(t)
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultErrorIn200, Path: oauthtest.TokenPath})
	a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	wantError(t, a, http.StatusOK, "error", "server_error")
	if _, ok := a.json(t)["access_token"]; ok {
		t.Errorf("error-in-200 answer %s carries an access_token", a.body)
	}
}

// A delay longer than the client waits: the client's deadline ends the
// request, the server does not hold it, and the next request is served.
func TestFaultDelayOutlastsTheClient(t *testing.T) {
	f := setup(t)
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultDelay, Path: oauthtest.TokenPath, Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.auth.URL+oauthtest.TokenPath,
		strings.NewReader(passwordForm(testEmail, testPassword).Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := testClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("token during an hour's delay = %d; want the client's deadline", resp.StatusCode)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("token during an hour's delay: %v; want context.DeadlineExceeded", err)
	}
	mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if st := f.srv.Stats(); st.TokensIssued != 1 {
		t.Errorf("Stats().TokensIssued = %d; want 1 (the abandoned request gets none)", st.TokensIssued)
	}
}

func TestFaultDelayThenServes(t *testing.T) {
	f := setup(t)
	const d = 20 * time.Millisecond
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultDelay, Path: oauthtest.TokenPath, Delay: d})
	start := time.Now()
	mustToken(t, f.auth.URL, passwordForm(testEmail, testPassword), nil)
	if took := time.Since(start); took < d {
		t.Errorf("token with a %v delay took %v", d, took)
	}
}

func TestFaultOnEveryPathUntilCleared(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	mustInject(t, f.srv, oauthtest.Fault{Kind: oauthtest.FaultStatus, Status: 500}) // no Count: every request
	for range 3 {
		for _, u := range []string{f.api.URL + oauthtest.EchoPath, f.auth.URL + oauthtest.UsersMePath} {
			if a := withToken(t, http.MethodGet, u, tok, nil); a.status != http.StatusInternalServerError {
				t.Errorf("GET %s with a fault on every path = %d; want 500", u, a.status)
			}
		}
	}
	f.srv.ClearFaults()
	if a := withToken(t, http.MethodGet, f.api.URL+oauthtest.EchoPath, tok, nil); a.status != http.StatusOK {
		t.Errorf("echo after ClearFaults = %d; want 200", a.status)
	}
}

func TestFaultsAnswerInOrder(t *testing.T) {
	f := setup(t)
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultStatus, Path: oauthtest.TokenPath, Status: 429})
	mustInject(t, f.srv, oauthtest.Fault{Count: 1, Kind: oauthtest.FaultHTML, Path: oauthtest.TokenPath, Status: 504})
	for _, want := range []int{429, 504, 200} {
		if a := postForm(t, f.auth.URL, passwordForm(testEmail, testPassword), nil); a.status != want {
			t.Errorf("token = %d; want %d", a.status, want)
		}
	}
}

// Concurrent requests take a fault exactly Count times between them.
func TestFaultCountUnderConcurrency(t *testing.T) {
	f := setup(t)
	tok := f.login(t)
	const n, times = 40, 10
	mustInject(t, f.srv, oauthtest.Fault{Kind: oauthtest.FaultStatus, Path: oauthtest.EchoPath, Status: 503, Count: times})
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodGet, f.api.URL+oauthtest.EchoPath, nil)
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := testClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[503] != times || count[200] != n-times {
		t.Errorf("statuses = %v; want %d×503 and %d×200", count, times, n-times)
	}
}

func TestInjectFaultValidates(t *testing.T) {
	srv, err := oauthtest.New(oauthtest.Config{Key: testkeys.RSA()})
	if err != nil {
		t.Fatal(err)
	}
	bad := []oauthtest.Fault{
		{},
		{Kind: oauthtest.FaultStatus},
		{Kind: oauthtest.FaultStatus, Status: 200},
		{Kind: oauthtest.FaultStatus, Status: 600},
		{Kind: oauthtest.FaultHTML, Status: 302},
		{Kind: oauthtest.FaultDelay},
		{Kind: oauthtest.FaultOversized, Size: -1},
		{Kind: oauthtest.FaultErrorIn200, Delay: -time.Second},
		{Kind: oauthtest.FaultKind(99)},
	}
	for _, f := range bad {
		if err := srv.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) = nil; want an error", f)
		}
	}
}
