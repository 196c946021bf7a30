package c2_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/internal/fakec2"
	"github.com/bearer-go/bearer/internal/redistest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
)

// answerDelay is how long after applying a rotation the Charon of the
// Close test answers it: long enough that Close always comes first.
const answerDelay = 400 * time.Millisecond

// closeRuns returns how many times each store's Close test runs: 50, or 5
// with -short.
func closeRuns() int {
	if testing.Short() {
		return 5
	}
	return 50
}

// answerLater applies every rotation at once and answers it answerDelay
// later, reporting each applied rotation on applied.
func answerLater(applied chan<- struct{}) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			applied <- struct{}{}
			time.Sleep(answerDelay) // the answer's travel time, not synchronisation
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	}
}

// Close while a rotation is in flight: Charon has applied it and answers
// 400 ms later. Close waits for the answer and saves the new token, with
// a FileStore and with a store that honours its context (Redis): the next
// start resumes the lineage. Each run starts from a newly issued token,
// which is due at once.
func TestCloseDuringARotationLosesNoLineage(t *testing.T) {
	stores := map[string]func(t *testing.T, i int) tokenrefresh.Store{
		"file": func(t *testing.T, i int) tokenrefresh.Store {
			s, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"redis": func(t *testing.T, i int) tokenrefresh.Store {
			addr := redistest.Shared(t)
			rdb := redis.NewClient(&redis.Options{Addr: addr})
			t.Cleanup(func() { rdb.Close() })
			s, err := redisstore.New(rdb, redistest.Key(t, addr))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each waits for its answers: 20 s in a row
			applied := make(chan struct{}, 1)
			fake := fakec2.New(fakec2.Options{})
			srv := httptest.NewServer(answerLater(applied)(fake))
			t.Cleanup(srv.Close)
			lost := 0
			runs := closeRuns()
			for i := range runs {
				store := newStore(t, i)
				initial := fake.IssueToken()
				c, err := c2.New(ctx(t), srv.URL, initial, c2.WithStore(store))
				if err != nil {
					t.Fatalf("New() = %v", err)
				}
				select {
				case <-applied:
				case <-time.After(waitLimit):
					t.Fatal("the rotation never reached Charon")
				}
				c.Close()
				e, err := store.Load(context.Background())
				if err != nil || !fake.Valid(e.Token.Reveal().AccessToken) {
					lost++
					t.Errorf("run %d: after Close the store holds %v, %v; want the live, rotated token", i, e, err)
				}
			}
			t.Logf("%s store: %d Closes during a rotation answered %v later; %d lineages lost", name, runs, answerDelay, lost)
		})
	}
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
	e := setup(t, fakec2.Options{}, apply500)
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
	e := setup(t, fakec2.Options{})
	c := e.newClient(t)
	e.waitRotation(t) // the issued token, of unknown age, is rotated at once
	e.fake.InjectFault(fakec2.Fault{Method: http.MethodGet, Path: "/apf/drivers", Status: http.StatusUnauthorized})
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
