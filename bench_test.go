package bearer_test

// Per-request cost of authorization, side by side with golang.org/x/oauth2.
// Run: go test -run '^$' -bench . -benchmem -cpu 2 -count 10 .
// Figures and their reading: docs/benchmarks.md.

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

var benchBody = []byte(`{"module_name":"simple","description":"a driver","status":"ok"}`)

// memTransport is the bare in-memory RoundTripper every benchmark measures
// against: it serves each request with an http.Handler through an
// httptest.ResponseRecorder, as in-memory test transports do, so the
// figures show the cost of authorization without the network's noise.
type memTransport struct{}

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(benchBody)
})

func (memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		req.Body.Close()
	}
	rec := httptest.NewRecorder()
	benchHandler.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// copyFloor is the least an authorizing RoundTripper that keeps the
// http.RoundTripper contract can do: send a copy of the request with a
// header map of its own and an Authorization value slice of its own (a
// caller that edits resp.Request's header must not change what the next
// request sends), with a fixed token, no token source and no checks. It
// measures the floor under bearer.Transport. The slice is allocated with
// the copy, in one object, as the cheapest way to give it its own.
type copyFloor struct{ base http.RoundTripper }

type floorRequest struct {
	req  http.Request
	auth [1]string
}

func (c copyFloor) RoundTrip(req *http.Request) (*http.Response, error) {
	f := new(floorRequest)
	f.req = *req
	r2 := &f.req
	r2.Header = make(http.Header, len(req.Header)+1)
	for k, v := range req.Header {
		r2.Header[k] = v
	}
	f.auth[0] = "Bearer bench-token"
	r2.Header["Authorization"] = f.auth[:]
	return c.base.RoundTrip(r2)
}

// freshRefresher returns a Refresher holding a token valid for a day.
func freshRefresher(tb testing.TB) *tokenrefresh.Refresher {
	tb.Helper()
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{
		Initial: secret.New(&oauth2.Token{AccessToken: "bench-token", Expiry: time.Now().Add(24 * time.Hour)}),
		Refresh: func(context.Context, *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "bench-token-2", Expiry: time.Now().Add(24 * time.Hour)}, nil
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return r
}

// transports are the RoundTrippers compared per request.
func transports(tb testing.TB) map[string]http.RoundTripper {
	ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "bench-token", Expiry: time.Now().Add(24 * time.Hour)}))
	return map[string]http.RoundTripper{
		"bare":     memTransport{},
		"floor":    copyFloor{memTransport{}},
		"bearer":   &bearer.Transport{Source: freshRefresher(tb), Base: memTransport{}},
		"x-oauth2": &oauth2.Transport{Source: ts, Base: memTransport{}},
	}
}

func roundTrip(tb testing.TB, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func BenchmarkTransport(b *testing.B) {
	for _, name := range []string{"bare", "floor", "bearer", "x-oauth2"} {
		rt := transports(b)[name]
		b.Run(name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", "https://api.example.com/apf/drivers", nil)
			req.Header.Set("Accept", "application/json")
			b.ReportAllocs()
			for b.Loop() {
				roundTrip(b, rt, req)
			}
		})
	}
}

// interleavedBatch is how many requests each transport sends per turn in
// BenchmarkTransportInterleaved: enough that reading the clock costs
// under 1% of a turn, few enough that turns follow the machine's load.
const interleavedBatch = 64

// BenchmarkTransportInterleaved sends the same requests through the bare
// transport, the floor, bearer's Transport and x/oauth2's in turns of
// interleavedBatch requests each, rotating which goes first, and reports
// each one's time per request and their ratios. On a shared machine the
// load drifts between the sub-benchmarks of BenchmarkTransport, which run
// one after the other; within one turn it moves all four alike, so the
// ratios here are what the code costs, not when it ran.
func BenchmarkTransportInterleaved(b *testing.B) {
	rts := transports(b)
	names := []string{"bare", "floor", "bearer", "x-oauth2"}
	req, _ := http.NewRequest("GET", "https://api.example.com/apf/drivers", nil)
	req.Header.Set("Accept", "application/json")
	spent := make([]time.Duration, len(names))
	turn := 0
	// Each turn runs the transports in an order drawn afresh, so that no
	// transport always follows the same one: the garbage a batch leaves is
	// collected during the next, which would otherwise bill one
	// transport's allocations to its fixed successor.
	shuffle := rand.New(rand.NewPCG(1, 2))
	order := []int{0, 1, 2, 3}
	for b.Loop() {
		shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			start := time.Now()
			for range interleavedBatch {
				roundTrip(b, rts[names[i]], req)
			}
			spent[i] += time.Since(start)
		}
		turn++
	}
	per := func(i int) float64 { return float64(spent[i]) / float64(turn*interleavedBatch) }
	for i, n := range names {
		b.ReportMetric(per(i), n+"-ns/req")
	}
	b.ReportMetric(per(2)/per(1), "bearer/floor")
	b.ReportMetric(per(3)/per(2), "x-oauth2/bearer")
	b.ReportMetric(0, "ns/op") // an op is a turn of four batches: not a figure to read
}

// nopTransport answers every request with the same response at once: it
// leaves only the authorizing transport's own work to measure.
type nopTransport struct{}

var nopResponse = &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}}

func (nopTransport) RoundTrip(*http.Request) (*http.Response, error) { return nopResponse, nil }

// BenchmarkTransportOverhead measures what the authorizing transports
// themselves cost, over a base that does nothing: the floor's copy, bearer
// with a static token (the copy and the checks), and bearer with a
// Refresher (and its Token).
func BenchmarkTransportOverhead(b *testing.B) {
	rts := map[string]http.RoundTripper{
		"floor":            copyFloor{nopTransport{}},
		"bearer-static":    &bearer.Transport{Source: bearer.StaticToken("bench-token"), Base: nopTransport{}},
		"bearer-refresher": &bearer.Transport{Source: freshRefresher(b), Base: nopTransport{}},
	}
	for _, name := range []string{"floor", "bearer-static", "bearer-refresher"} {
		rt := rts[name]
		b.Run(name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", "https://api.example.com/apf/drivers", nil)
			req.Header.Set("Accept", "application/json")
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.RoundTrip(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRefresherToken is the token source's share of a request: a
// Refresher answering from memory.
func BenchmarkRefresherToken(b *testing.B) {
	r := freshRefresher(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Token(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// clients are the Clients compared per request: with no token at all, and
// with a kept-alive token.
func clients(tb testing.TB) map[string]*bearer.Client {
	hc := &http.Client{Transport: memTransport{}}
	bare, err := bearer.NewClient("https://api.example.com", bearer.WithHTTPClient(hc))
	if err != nil {
		tb.Fatal(err)
	}
	authed, err := bearer.NewClient("https://api.example.com", bearer.WithHTTPClient(hc), bearer.WithTokenSource(freshRefresher(tb)))
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]*bearer.Client{"bare": bare, "bearer": authed}
}

type driver struct {
	ModuleName  string `json:"module_name"`
	Description string `json:"description"`
	Status      string `json:"status"`
}

func clientGet(tb testing.TB, c *bearer.Client) {
	req, err := c.NewRequest(context.Background(), "GET", "/apf/drivers", nil)
	if err != nil {
		tb.Fatal(err)
	}
	var d driver
	if _, err := c.Do(req, &d); err != nil || d.ModuleName != "simple" {
		tb.Fatalf("Do = %v, %+v", err, d)
	}
}

func BenchmarkClient(b *testing.B) {
	for _, name := range []string{"bare", "bearer"} {
		c := clients(b)[name]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clientGet(b, c)
			}
		})
	}
}

// TestAllocationBudget checks the allocation targets, which (unlike times)
// are exact and the same on every machine: through Client, a token costs
// at most one allocation over no token; through Transport, fewer than
// x/oauth2's Transport.
func TestAllocationBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations")
	}
	req, _ := http.NewRequest("GET", "https://api.example.com/apf/drivers", nil)
	rts := transports(t)
	allocs := map[string]float64{}
	for name, rt := range rts {
		allocs[name] = testing.AllocsPerRun(200, func() { roundTrip(t, rt, req) })
	}
	cs := clients(t)
	for name, c := range cs {
		allocs["client-"+name] = testing.AllocsPerRun(200, func() { clientGet(t, c) })
	}
	t.Logf("allocations per request: %v", allocs)
	if extra := allocs["client-bearer"] - allocs["client-bare"]; extra > 1 {
		t.Errorf("Client with a token allocates %v more per request than without; want at most 1", extra)
	}
	if allocs["bearer"] >= allocs["x-oauth2"] {
		t.Errorf("Transport allocates %v per request; x/oauth2 %v; want fewer", allocs["bearer"], allocs["x-oauth2"])
	}
}

// streamSize is the body of the streamed POST: 256 MiB, the size the
// issue measured (572 MiB allocated when the Client buffered it).
const streamSize = 256 << 20

// zeros is an io.Reader of n zero bytes that cannot be read twice, as a
// file or a pipe.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// drainTransport reads each request's body to its end, as a server does,
// and answers 204.
type drainTransport struct{}

func (drainTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

// streamedPost sends a streamSize POST through c.
func streamedPost(tb testing.TB, c *bearer.Client) {
	req, err := c.NewRequest(context.Background(), "POST", "/upload", &zeros{n: streamSize})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.Do(req, nil); err != nil {
		tb.Fatal(err)
	}
}

func BenchmarkClientStreamedPost(b *testing.B) {
	c, err := bearer.NewClient("https://api.example.com", bearer.WithHTTPClient(&http.Client{Transport: drainTransport{}}),
		bearer.WithTokenSource(freshRefresher(b)))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(streamSize)
	for b.Loop() {
		streamedPost(b, c)
	}
}

// TestStreamedPostIsNotBuffered checks the memory target: a 256 MiB body
// that cannot be read twice costs the Client under 1 MiB.
func TestStreamedPostIsNotBuffered(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 256 MiB")
	}
	r := testing.Benchmark(BenchmarkClientStreamedPost)
	t.Logf("a %d MiB streamed POST through Client: %d B and %d allocations per request", streamSize>>20, r.AllocedBytesPerOp(), r.AllocsPerOp())
	if r.N == 0 || r.AllocedBytesPerOp() >= 1<<20 {
		t.Errorf("a %d MiB streamed POST allocates %d B (%d runs); want under 1 MiB", streamSize>>20, r.AllocedBytesPerOp(), r.N)
	}
}
