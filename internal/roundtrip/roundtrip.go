// Package roundtrip sends a test's HTTP request and reads the whole
// answer, failing the test if either fails: the one step the tests of
// the fake servers (c2test, oauthtest, sessiontest, jwtapitest) take
// before they look at a status, a header or a body.
package roundtrip

import (
	"io"
	"net/http"
	"testing"
)

// Do sends req with c and returns the response, its body already read
// and closed, and the body. A transport error or a body cut short fails
// t.
func Do(t testing.TB, c *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return resp, body
}
