package c2_test

import (
	"net/http"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/c2/c2test"
)

// A Client is a bearer.Invalidator: a Transport that meets a 401 with the
// current token has the client rotate it and replays the request once
// with the new token. A stale rejection (of a token already replaced)
// does nothing.
func TestInvalidateReplacesTheCurrentToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	first := e.waitRotation(t) // the issued token's age is unknown: rotated at once
	var _ bearer.Invalidator = c

	c.Invalidate(first)
	second := e.waitRotation(t)
	if second.AccessToken == first.AccessToken {
		t.Fatal("Invalidate(current) did not replace the token")
	}
	got, err := c.Token(ctx(t))
	if err != nil || got.AccessToken != second.AccessToken {
		t.Fatalf("Token() after Invalidate = %v; want the new token", err)
	}

	c.Invalidate(first) // no longer current
	e.noRotation(t)
	if n := e.fake.Stats().Rotations; n != 2 {
		t.Errorf("the fake saw %d rotations; want 2", n)
	}

	tr := &bearer.Transport{Source: c}
	req, _ := http.NewRequestWithContext(ctx(t), http.MethodGet, e.srv.URL+"/apf/drivers", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /apf/drivers through a Transport on the client = %v, %v; want 200", resp, err)
	}
	resp.Body.Close()
}
