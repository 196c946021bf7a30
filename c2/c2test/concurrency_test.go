package c2test_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

// do sends a request from any goroutine: it reports failures with Errorf
// and returns status 0 for them.
func (e *env) do(t *testing.T, method, path, token, body string) (int, []byte) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		t.Errorf("NewRequest: %v", err)
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Errorf("Do(%s %s): %v", method, req.URL.Path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("reading %s %s: %v", method, req.URL.Path, err)
	}
	return resp.StatusCode, b
}

func TestConcurrentUse(t *testing.T) {
	e := setup(t, c2test.Options{})
	const lineages, rounds, faults = 8, 10, 7
	e.fake.InjectFault(c2test.Fault{Method: http.MethodGet, Path: c2test.DriversPath,
		Status: http.StatusServiceUnavailable, Count: faults})

	var unavailable atomic.Int64
	var wg sync.WaitGroup
	for range lineages {
		tok := e.fake.IssueToken()
		wg.Go(func() {
			for range rounds {
				switch status, _ := e.do(t, http.MethodGet, c2test.DriversPath, tok, ""); status {
				case http.StatusServiceUnavailable:
					unavailable.Add(1)
				case http.StatusOK:
				default:
					t.Errorf("GET drivers = %d; want 200 or the injected 503", status)
				}
				status, body := e.do(t, http.MethodPut, c2test.TokensPathPrefix+tok, tok, "")
				var out struct{ Payload string }
				if status != http.StatusOK || json.Unmarshal(body, &out) != nil {
					t.Errorf("rotation = %d %s; want 200", status, body)
					return
				}
				tok = out.Payload
			}
		})
		logTok := e.fake.IssueToken()
		wg.Go(func() {
			for range rounds {
				if status, _ := e.do(t, http.MethodPost, c2test.LogPath, logTok, `{"m":1}`); status != http.StatusCreated {
					t.Errorf("POST log = %d; want 201", status)
				}
			}
		})
	}
	wg.Go(func() { // readers and a moving clock alongside the clients
		for range rounds {
			e.fake.Stats()
			e.fake.Logs()
			e.fake.Valid("0123456789abcdef0123456789abcdef")
			e.clock.Advance(time.Second)
		}
	})
	wg.Wait()

	st := e.fake.Stats()
	want := lineages * rounds
	if st.Rotations != want || st.FaultsApplied != faults || unavailable.Load() != faults ||
		st.Requests["GET /apf/drivers"] != want || st.Requests["POST /logging/log"] != want ||
		st.Unauthorized != 0 {
		t.Errorf("Stats() = %+v with %d 503s seen; want %d rotations, %d faults seen and applied, %d GETs and POSTs, no 401",
			st, unavailable.Load(), want, faults, want)
	}
	seen := make(map[int]bool)
	for _, l := range e.fake.Logs() {
		seen[l.ID] = true
	}
	if len(seen) != want {
		t.Errorf("Logs() holds %d distinct ids; want %d", len(seen), want)
	}
}

func TestLogsNeverShowTokens(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex // guards buf: handlers log from many goroutines
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := setup(t, c2test.Options{Logger: logger})

	tokens := []string{e.fake.IssueToken(), e.fake.IssueToken()}
	_, next := e.rotate(t, tokens[0])
	tokens = append(tokens, next)
	e.rotate(t, tokens[0]) // 401 for a rotated token
	e.call(t, http.MethodPut, c2test.TokensPathPrefix+tokens[1], next, "")
	e.fake.InjectFault(c2test.Fault{Path: c2test.TokensPathPrefix, DropAfterApply: true, Count: 1})
	if resp, err := noKeepAlive().Do(e.newRequest(t, http.MethodPut, c2test.TokensPathPrefix+next, next, "")); err == nil {
		resp.Body.Close()
	}
	dropped, _ := e.fake.Successor(next)
	tokens = append(tokens, dropped)
	e.call(t, http.MethodGet, positionsSlocum, tokens[1], "")
	e.call(t, http.MethodGet, "/charon/tokens/"+tokens[1]+"/extra", tokens[1], "")
	e.srv.Close() // every handler has logged

	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "c2test: request") || !strings.Contains(out, "c2test: token rotated") {
		t.Fatalf("log = %q; want request and rotation records", out)
	}
	for _, tok := range tokens {
		if tok == "" || strings.Contains(out, tok) {
			t.Errorf("log shows token %q (or it is empty):\n%s", tok, out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
