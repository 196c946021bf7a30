package server

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// chunk is the size of the first part of a streamed body.
const chunk = 1 << 20

// A request body goes upstream as it is sent: the upstream reads the
// first megabyte while the caller still holds back the rest, which it
// sends only once the upstream has it. A proxy that buffered the body
// would wait for the end that never comes.
func TestProxyStreamsUploads(t *testing.T) {
	gotFirst := make(chan struct{})
	e := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadFull(r.Body, make([]byte, chunk)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		close(gotFirst)
		n, _ := io.Copy(io.Discard, r.Body)
		io.WriteString(w, strconv.FormatInt(chunk+n, 10))
	}))
	pr, pw := io.Pipe()
	go func() {
		pw.Write(make([]byte, chunk))
		select {
		case <-gotFirst:
			for range 8 {
				pw.Write(make([]byte, chunk))
			}
			pw.Close()
		case <-time.After(waitLimit):
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
	}()
	resp, body := e.do(t, http.MethodPost, "/c2/upload", pr)
	if resp.StatusCode != http.StatusOK || body != strconv.Itoa(9*chunk) {
		t.Fatalf("POST /c2/upload = %d %q; want 200 and %d bytes received", resp.StatusCode, body, 9*chunk)
	}
}

// A response body reaches the caller as the upstream writes it: the
// upstream sends the rest only once the caller has read the first
// megabyte.
func TestProxyStreamsDownloads(t *testing.T) {
	callerGotFirst := make(chan struct{})
	e := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, chunk))
		w.(http.Flusher).Flush()
		select {
		case <-callerGotFirst:
		case <-time.After(waitLimit):
			return
		}
		for range 8 {
			w.Write(make([]byte, chunk))
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/c2/download", nil)
	req.Header.Set(KeyHeader, testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, chunk)); err != nil {
		t.Fatalf("reading the first megabyte: %v", err)
	}
	close(callerGotFirst)
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != 8*chunk {
		t.Fatalf("read %d more bytes (%v); want %d", n, err, 8*chunk)
	}
}

// The upstream sees the keeper's token, never the caller's own
// Authorization nor the key; the path below /NAME is appended to the
// upstream's, the query kept.
func TestProxyAddsTheTokenAndDropsTheCallers(t *testing.T) {
	var got http.Header
	var gotURL string
	e := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotURL = r.Header.Clone(), r.URL.String()
	}))
	resp, _ := e.do(t, http.MethodGet, "/c2/apf/drivers?x=1", nil,
		"Authorization", "Bearer callers-own", "Proxy-Authorization", "Basic eDp5")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if tok := bearerOf(got); !e.ours(tok) {
		t.Errorf("upstream got Authorization %q; want the keeper's token", got.Get("Authorization"))
	}
	for _, h := range []string{KeyHeader, "Proxy-Authorization"} {
		if got.Get(h) != "" {
			t.Errorf("upstream got %s", h)
		}
	}
	if gotURL != "/base/apf/drivers?x=1" {
		t.Errorf("upstream got %q; want /base/apf/drivers?x=1", gotURL)
	}
}

// A 401 from upstream makes the keeper replace the token, and the request
// is sent once more with the new one.
func TestProxyReplaysOnceAfter401(t *testing.T) {
	var mu sync.Mutex // guards seen
	var seen []string
	e := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, bearerOf(r.Header))
		first := len(seen) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	resp, _ := e.do(t, http.MethodGet, "/c2/x", nil)
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != http.StatusOK || len(seen) != 2 || seen[0] == seen[1] || !e.ours(seen[1]) {
		t.Errorf("GET after a 401 = %d with %d upstream requests; want 200 after one replay with a new token of the lineage", resp.StatusCode, len(seen))
	}
}

// The proxy does not reach C2's Charon with the token: a rotation there
// would hand the successor to the caller only, and lose the lineage.
func TestProxyRefusesCharon(t *testing.T) {
	e := setup(t, nil)
	before := e.fake.Stats().Rotations
	resp, body := e.do(t, http.MethodPut, "/c2/charon/tokens/abc", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "denied") {
		t.Errorf("PUT /c2/charon/tokens/abc = %d %s; want 403", resp.StatusCode, body)
	}
	if n := e.fake.Stats().Rotations; n != before {
		t.Errorf("the fake saw %d rotations; want %d", n, before)
	}
}
