package c2crash_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/internal/c2crash"
)

func TestClassify(t *testing.T) {
	fake := c2test.New(c2test.Options{})
	alive := fake.IssueToken()
	revoked := fake.IssueToken()
	fake.Revoke(revoked)
	rotated := fake.IssueToken()
	next := rotate(t, fake, rotated)

	tests := []struct {
		stored, before string
		want           c2crash.Outcome
	}{
		{alive, alive, c2crash.BeforeRotation},
		{next, rotated, c2crash.AfterSave},
		{rotated, rotated, c2crash.InWindow},
		{revoked, revoked, c2crash.Lost},
		{"never-issued", "never-issued", c2crash.Lost},
	}
	for _, tt := range tests {
		if got := c2crash.Classify(fake, tt.stored, tt.before); got != tt.want {
			t.Errorf("Classify(%v) = %v; want %v", tt.want, got, tt.want)
		}
	}
}

// rotate rotates token on fake, as a client would, and returns the new
// token.
func rotate(t *testing.T, fake *c2test.Server, token string) string {
	t.Helper()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPut, srv.URL+c2test.TokensPathPrefix+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	defer resp.Body.Close()
	var out struct{ Payload string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Payload == "" {
		t.Fatalf("rotate: %s, payload %q, %v", resp.Status, out.Payload, err)
	}
	return out.Payload
}
