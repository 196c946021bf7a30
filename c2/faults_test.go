package c2_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

func TestRecoversAfter503s(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, Count: 2})
	c := e.newClient(t)
	e.retryAfter(t, c2.DefaultRetryInterval)
	e.expectRetry(t, c2.DefaultRetryInterval)
	if st := c.Status(); st.ConsecutiveFailures != 2 || st.Healthy {
		t.Errorf("Status() after two failures = %+v; want 2 failures, unhealthy", st)
	}
	e.clk.Advance(c2.DefaultRetryInterval)
	next := e.waitRotation(t)
	if !e.fake.Valid(next.AccessToken) || e.fake.Valid(e.token) {
		t.Error("after recovery the new token is not the live one")
	}
	if st := c.Status(); !st.Healthy || st.LastError != "" {
		t.Errorf("Status() after recovery = %+v; want healthy", st)
	}
}

// A server's Retry-After is honoured when it asks for longer than the
// retry interval, up to MaxRetryWait.
func TestHonoursRetryAfter(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable,
		RetryAfter: "150", Count: 1})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusTooManyRequests,
		RetryAfter: "3600", Count: 1})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable,
		RetryAfter: "1", Count: 1})
	e.newClient(t)
	e.retryAfter(t, 150*time.Second)
	e.retryAfter(t, c2.MaxRetryWait)         // an hour asked, capped
	e.retryAfter(t, c2.DefaultRetryInterval) // less than the interval asked
	e.waitRotation(t)
}

// The rotation was applied but the connection dropped before its answer:
// the old token is dead and the new one unknown. The next attempt's 401 is
// ErrRotationLost (which also matches ErrTokenRejected: Charon did reject
// the token), reported once and never retried.
func TestLostRotationIsReportedOnceNotLooped(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, DropAfterApply: true, Count: 1})
	c := e.newClient(t)
	e.retryAfter(t, c2.DefaultRetryInterval)
	err := waitLost(t, c)
	if !errors.Is(err, c2.ErrRotationLost) || !errors.Is(err, c2.ErrTokenRejected) {
		t.Fatalf("Err() = %v; want ErrRotationLost, and the rejection", err)
	}
	mustContain(t, "Err()", err.Error(), "answer", e.srv.URL+"/charon/tokens/issue")
	st := c.Status()
	if !st.Permanent || st.NextRefresh != (time.Time{}) {
		t.Errorf("Status() = %+v; want permanent, nothing planned", st)
	}
	mustContain(t, "Status().LastError", st.LastError, "lineage lost", "/charon/tokens/issue")

	for range 24 {
		e.clk.Advance(time.Hour)
	}
	if got := e.putCount(); got != 2 {
		t.Errorf("rotation attempts after a day = %d; want 2 (the lost one, and the one that found out)", got)
	}
	if _, ok := e.fake.Successor(e.token); !ok {
		t.Error("the fake did not apply the dropped rotation")
	}
}

// applyThenHang applies the first rotation in full, then holds its answer
// until the client gives up: a rotation that times out after it was
// applied.
func applyThenHang(h http.Handler) http.Handler {
	var hung atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || hung.Swap(true) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		<-r.Context().Done()
	})
}

// A rotation that timed out after the server applied it is lost too.
func TestTimedOutRotationThen401IsLost(t *testing.T) {
	e := setup(t, c2test.Options{}, applyThenHang)
	c := e.newClient(t, c2.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	e.retryAfter(t, c2.DefaultRetryInterval)
	if err := waitLost(t, c); !errors.Is(err, c2.ErrRotationLost) {
		t.Fatalf("Err() = %v; want ErrRotationLost", err)
	}
}

// A timed-out rotation that the server did not apply is not lost: the
// next attempt succeeds, and clears the doubt, so a later revocation is
// reported as such.
func TestTimedOutRotationThenSuccessIsNotLost(t *testing.T) {
	e := setup(t, c2test.Options{})
	block := make(chan struct{})
	defer close(block)
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Block: block, Count: 1})
	c := e.newClient(t, c2.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	e.retryAfter(t, c2.DefaultRetryInterval)
	tok := e.waitRotation(t)

	e.fake.Revoke(tok.AccessToken)
	e.clk.Advance(e.nextWake(t).Sub(e.clk.Now()))
	err := waitLost(t, c)
	if !errors.Is(err, c2.ErrTokenRejected) || errors.Is(err, c2.ErrRotationLost) {
		t.Fatalf("Err() = %v; want ErrTokenRejected only", err)
	}
}

// A rotation that never left (the connection could not be made) cannot
// have been applied: a 401 after it is a plain rejection.
func TestUnsentRotationThen401IsRejected(t *testing.T) {
	e := setup(t, c2test.Options{})
	var dials atomic.Int32
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	defer tr.CloseIdleConnections()
	e.fake.Revoke(e.token)
	c := e.newClient(t, c2.WithHTTPClient(&http.Client{Transport: tr}))
	e.retryAfter(t, c2.DefaultRetryInterval)
	err := waitLost(t, c)
	if !errors.Is(err, c2.ErrTokenRejected) || errors.Is(err, c2.ErrRotationLost) {
		t.Fatalf("Err() = %v; want ErrTokenRejected only", err)
	}
	if got := e.putCount(); got != 1 {
		t.Errorf("rotations that reached the server = %d; want 1", got)
	}
}

// A 401 is final: one attempt, a message that says what happened and
// where to issue a new token, and API calls that say the same.
func Test401IsPermanentAndSaysWhereToIssue(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.Revoke(e.token)
	c := e.newClient(t)
	err := waitLost(t, c)
	if !errors.Is(err, c2.ErrTokenRejected) {
		t.Fatalf("Err() = %v; want ErrTokenRejected", err)
	}
	issue := e.srv.URL + "/charon/tokens/issue"
	mustContain(t, "Err()", err.Error(), "revoked", issue)
	st := c.Status()
	if !st.Permanent {
		t.Errorf("Status().Permanent = false after a 401")
	}
	mustContain(t, "Status().LastError", st.LastError, issue)

	_, err = c.Drivers.List(ctx(t))
	if !errors.Is(err, c2.ErrTokenRejected) {
		t.Fatalf("Drivers.List() = %v; want ErrTokenRejected", err)
	}
	mustContain(t, "Drivers.List() error", err.Error(), issue)
	for range 5 {
		e.clk.Advance(time.Hour)
	}
	if got := e.putCount(); got != 1 {
		t.Errorf("rotation attempts = %d; want 1", got)
	}
}

// A 200 without a usable token means Charon rotated but the new token
// cannot be read: retried, and when Charon then says 401, reported lost.
func TestUnusableAnswerThen401IsLost(t *testing.T) {
	var answered atomic.Bool
	applyThenGarble := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut || answered.Swap(true) {
				h.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"payload": null}`))
		})
	}
	e := setup(t, c2test.Options{}, applyThenGarble)
	c := e.newClient(t)
	e.retryAfter(t, c2.DefaultRetryInterval)
	if err := waitLost(t, c); !errors.Is(err, c2.ErrRotationLost) {
		t.Fatalf("Err() = %v; want ErrRotationLost", err)
	}
}

// A 200 whose payload is empty or not a token is retried; when the next
// attempt succeeds, nothing is lost.
func TestBadPayloadIsRetried(t *testing.T) {
	for _, body := range []string{`{}`, `{"payload": ""}`, `{"payload": "two words"}`, `not json`} {
		t.Run(body, func(t *testing.T) {
			e := setup(t, c2test.Options{})
			e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusOK, Body: body, Count: 1})
			c := e.newClient(t)
			e.retryAfter(t, c2.DefaultRetryInterval)
			e.waitRotation(t)
			if st := c.Status(); !st.Healthy {
				t.Errorf("Status() = %+v; want healthy", st)
			}
		})
	}
}
