package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowClients opens n connections to addr that each send start and then
// nothing more, held open until the test ends: slowloris clients.
func slowClients(t *testing.T, addr string, n int, start string) {
	t.Helper()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, start); err != nil {
			t.Fatal(err)
		}
	}
}

// Clients that send their headers, or a proxied request's body, a little
// and then nothing more, hold only their own connections: meanwhile other
// callers get the token and the proxy's answer, and a rotation goes
// through and is served.
func TestSlowClientsDelayNeitherOthersNorTheRotation(t *testing.T) {
	bodies := make(chan struct{}, 100)
	e := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			bodies <- struct{}{}
			io.Copy(io.Discard, r.Body) // the slow body never ends: until the client goes
			return
		}
		fmt.Fprint(w, bearerOf(r.Header))
	}))
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	const slow = 40
	slowClients(t, addr, slow, "GET /v1/tokens/c2 HTTP/1.1\r\nHost: x\r\n"+KeyHeader+": "+testKey[:8])
	slowClients(t, addr, slow, "POST /c2/upload HTTP/1.1\r\nHost: x\r\n"+KeyHeader+": "+testKey+"\r\nContent-Length: 1000000\r\n\r\nx")
	for range slow {
		select {
		case <-bodies: // every slow body reached the upstream, and stays there
		case <-time.After(waitLimit):
			t.Fatal("the slow bodies were not all forwarded")
		}
	}

	before, _ := e.k.Token(context.Background())
	if resp, body := e.do(t, http.MethodGet, "/c2/ping", nil); resp.StatusCode != http.StatusOK || body != before.AccessToken {
		t.Fatalf("GET /c2/ping beside slow clients = %d %q; want 200 and the current token", resp.StatusCode, body)
	}
	e.k.Invalidate(before) // a rotation, beside the slow clients
	select {
	case <-e.k.Refreshed():
	case <-time.After(waitLimit):
		t.Fatal("no rotation beside the slow clients")
	}
	resp, body := e.do(t, http.MethodGet, "/v1/tokens/c2", nil)
	var got tokenJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK ||
		got.AccessToken == before.AccessToken || !e.ours(got.AccessToken) {
		t.Fatalf("GET /v1/tokens/c2 after the rotation, beside slow clients = %d, %v; want 200 and the new token", resp.StatusCode, err)
	}
}
