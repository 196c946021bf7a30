package closetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// CloseDuringRotation closes a c2 client while its rotation is in flight:
// Charon has applied it and answers 400 ms later. Close waits for the
// answer and saves the new token to the store: the next start resumes
// the lineage. Each run starts from a newly issued token, which is due at
// once, with a new store from newStore.
func CloseDuringRotation(t *testing.T, newStore NewStore) {
	t.Helper()
	applied := make(chan struct{}, 1)
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(answerLater(applied)(fake))
	t.Cleanup(srv.Close)
	lost := 0
	n := runs()
	for i := range n {
		store := newStore(t)
		initial := fake.IssueToken()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		t.Cleanup(cancel)
		c, err := c2.New(ctx, srv.URL, initial, c2.WithStore(store))
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
	t.Logf("%d Closes during a rotation answered %v later; %d lineages lost", n, answerDelay, lost)
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
