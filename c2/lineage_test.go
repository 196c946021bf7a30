package c2_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/closetest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Close while a rotation is in flight: Charon has applied it and answers
// 400 ms later. Close waits for the answer and saves the new token: the
// next start resumes the lineage (see closetest.CloseDuringRotation). The
// redisstore module runs the same scenario with Redis, a store that
// honours its context.
func TestCloseDuringARotationLosesNoLineage(t *testing.T) {
	closetest.CloseDuringRotation(t, func(t *testing.T) tokenrefresh.Store {
		s, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A 500 from Charon may come after it applied the rotation: the attempt is
// in doubt, and when Charon then rejects the old token the lineage is
// reported lost, not the token revoked.
func TestCharon500IsInDoubtNotRevoked(t *testing.T) {
	apply500 := func(h http.Handler) http.Handler {
		var answered atomic.Bool
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut || answered.Swap(true) {
				h.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			http.Error(w, `{"detail":"Internal Server Error"}`, http.StatusInternalServerError)
		})
	}
	e := setup(t, c2test.Options{}, apply500)
	c := e.newClient(t)
	e.expectRetry(t, c2.DefaultRetryInterval)
	if st := c.Status(); !st.InDoubt || st.Permanent {
		t.Fatalf("Status() after a 500 = %+v; want in doubt, not permanent", st)
	}
	e.clk.Advance(c2.DefaultRetryInterval)
	err := waitLost(t, c)
	if !errors.Is(err, c2.ErrRotationLost) {
		t.Fatalf("Err() = %v; want ErrRotationLost", err)
	}
}

// An API that answers 401 to every request, while Charon rotates as
// usual: 40 sequential requests make a bounded number of rotations, not
// one each, and every request gets the 401 at once.
func TestAPIRejectingEveryTokenCostsFewRotations(t *testing.T) {
	const requests = 40
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	e.waitRotation(t) // the issued token, of unknown age, is rotated at once
	e.fake.InjectFault(c2test.Fault{Method: http.MethodGet, Path: "/apf/drivers", Status: http.StatusUnauthorized})
	before := e.putCount()
	failed := 0
	for range requests {
		if _, err := c.Drivers.List(ctx(t)); errors.Is(err, c2.ErrTokenRejected) {
			failed++
		}
	}
	rotations := e.putCount() - before
	t.Logf("%d sequential requests answered 401: %d failed with ErrTokenRejected, %d Charon rotations", requests, failed, rotations)
	if failed != requests || rotations > 5 {
		t.Errorf("%d of %d requests failed, %d rotations; want all, and at most 5 rotations", failed, requests, rotations)
	}
}
