package c2test_test

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestIssueTokenLooksLikeC2(t *testing.T) {
	e := setup(t, c2test.Options{})
	seen := make(map[string]bool)
	for range 100 {
		tok := e.fake.IssueToken()
		if !tokenPattern.MatchString(tok) {
			t.Fatalf("IssueToken() = %q; want 32 lowercase hex characters", tok)
		}
		if seen[tok] {
			t.Fatalf("IssueToken() returned %q twice", tok)
		}
		seen[tok] = true
	}
}

func TestIssueTokenReadsRand(t *testing.T) {
	src := bytes.Repeat([]byte{0x46, 0x41}, 8)
	src = append(src, bytes.Repeat([]byte{0x07}, 16)...)
	e := setup(t, c2test.Options{Rand: bytes.NewReader(src)})
	if got, want := e.fake.IssueToken(), strings.Repeat("4641", 8); got != want {
		t.Errorf("first IssueToken() = %q; want %q", got, want)
	}
	if got, want := e.fake.IssueToken(), strings.Repeat("07", 16); got != want {
		t.Errorf("second IssueToken() = %q; want %q", got, want)
	}
}

func TestRotateReplacesToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	old := e.fake.IssueToken()

	status, next := e.rotate(t, old)
	if status != http.StatusOK || !tokenPattern.MatchString(next) || next == old {
		t.Fatalf("rotate = %d, %q; want 200 and a new 32-hex token", status, next)
	}
	resp, body := e.call(t, http.MethodGet, c2test.DriversPath, old, "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET drivers with the old token = %d; want 401", resp.StatusCode)
	}
	if got := detail(t, body); !strings.Contains(got, "refreshed") {
		t.Errorf("old token detail = %q; want it to say the token was refreshed", got)
	}
	if status, _ := e.rotate(t, old); status != http.StatusUnauthorized {
		t.Errorf("rotating the old token again = %d; want 401", status)
	}
	if got := e.status(t, http.MethodGet, c2test.DriversPath, next, ""); got != http.StatusOK {
		t.Errorf("GET drivers with the new token = %d; want 200", got)
	}
	if got, ok := e.fake.Successor(old); !ok || got != next {
		t.Errorf("Successor(old) = %q, %v; want the rotated token, true", got, ok)
	}
	if _, ok := e.fake.Successor(next); ok {
		t.Errorf("Successor(next) reports a successor; want none")
	}
	if e.fake.Valid(old) || !e.fake.Valid(next) {
		t.Errorf("Valid(old), Valid(next) = %v, %v; want false, true", e.fake.Valid(old), e.fake.Valid(next))
	}
	if got := e.fake.Stats().Rotations; got != 1 {
		t.Errorf("Stats().Rotations = %d; want 1", got)
	}
}

func TestRotateKeepsPermissions(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken("slocum/unit_398")
	for i := range 3 {
		var status int
		status, tok = e.rotate(t, tok)
		if status != http.StatusOK {
			t.Fatalf("rotation %d = %d; want 200", i, status)
		}
	}
	if got := e.status(t, http.MethodGet, positionsSlocum, tok, ""); got != http.StatusOK {
		t.Errorf("positions of a permitted platform after rotations = %d; want 200", got)
	}
	other := c2test.PositionsPath + "?platform_type=sailbuoy&platform_serial=SB2016"
	if got := e.status(t, http.MethodGet, other, tok, ""); got != http.StatusForbidden {
		t.Errorf("positions of another platform after rotations = %d; want 403", got)
	}
}

func TestRotateRejects(t *testing.T) {
	e := setup(t, c2test.Options{})
	alive := e.fake.IssueToken()
	other := e.fake.IssueToken()
	tests := []struct {
		name          string
		path, header  string
		wantStatus    int
		wantChallenge string
	}{
		{"no header", alive, "", http.StatusUnauthorized, "Bearer"},
		{"unknown token", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef",
			http.StatusUnauthorized, `Bearer error="invalid_token"`},
		{"unknown bearer, live path", alive, "ffffffffffffffffffffffffffffffff",
			http.StatusUnauthorized, `Bearer error="invalid_token"`},
		{"path names another live token", other, alive, http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.call(t, http.MethodPut, c2test.TokensPathPrefix+tt.path, tt.header, "")
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("PUT = %d %s; want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if d := detail(t, body); d == "" {
				t.Errorf("detail is empty; want a reason")
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, tt.wantChallenge) ||
				(tt.wantChallenge == "" && got != "") {
				t.Errorf("WWW-Authenticate = %q; want prefix %q", got, tt.wantChallenge)
			}
		})
	}
	if !e.fake.Valid(alive) || !e.fake.Valid(other) {
		t.Errorf("a rejected rotation killed a token; want both alive")
	}
	if got := e.fake.Stats(); got.Rotations != 0 || got.Unauthorized != 3 || got.Forbidden != 1 {
		t.Errorf("Stats() = %+v; want 0 rotations, 3 unauthorized, 1 forbidden", got)
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := setup(t, c2test.Options{})
	req := e.newRequest(t, http.MethodGet, c2test.DriversPath, "", "")
	req.Header.Set("Authorization", "bearer "+e.fake.IssueToken())
	if resp, _ := e.send(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("GET drivers with scheme %q = %d; want 200", "bearer", resp.StatusCode)
	}
}

func TestTokenExpiresAfterIdle(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	const almost = c2test.DefaultTokenIdle - time.Second

	e.clock.Advance(almost)
	if got := e.status(t, http.MethodGet, c2test.DriversPath, tok, ""); got != http.StatusOK {
		t.Fatalf("GET just before idle expiry = %d; want 200", got)
	}
	e.clock.Advance(almost) // nearly two idle periods since issue, but one since the last use
	if got := e.status(t, http.MethodGet, c2test.DriversPath, tok, ""); got != http.StatusOK {
		t.Fatalf("GET within idle of the last use = %d; want 200", got)
	}
	e.clock.Advance(c2test.DefaultTokenIdle)
	resp, body := e.call(t, http.MethodGet, c2test.DriversPath, tok, "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(detail(t, body), "expired") {
		t.Fatalf("GET an idle period after the last use = %d %s; want 401 expired", resp.StatusCode, body)
	}
	e.clock.Advance(-time.Hour) // an expired token stays dead
	if got := e.status(t, http.MethodGet, c2test.DriversPath, tok, ""); got != http.StatusUnauthorized {
		t.Errorf("GET after expiry with the clock turned back = %d; want 401", got)
	}
}

func TestTokenIdleIsConfigurable(t *testing.T) {
	e := setup(t, c2test.Options{TokenIdle: 5 * time.Minute})
	tok := e.fake.IssueToken()
	e.clock.Advance(5 * time.Minute)
	if status, _ := e.rotate(t, tok); status != http.StatusUnauthorized {
		t.Errorf("rotating exactly TokenIdle after issue = %d; want 401", status)
	}
}

func TestRotationRestartsIdle(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.clock.Advance(55 * time.Minute)
	_, next := e.rotate(t, tok)
	e.clock.Advance(55 * time.Minute)
	if !e.fake.Valid(next) {
		t.Errorf("Valid(next) 55 minutes after rotation = false; want true")
	}
}

func TestValidIsNotAUse(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	e.clock.Advance(30 * time.Minute)
	e.fake.Valid(tok)
	e.clock.Advance(30 * time.Minute)
	if e.fake.Valid(tok) {
		t.Errorf("Valid(tok) an hour after issue, checked only by Valid = true; want false")
	}
}

func TestRevoke(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	if !e.fake.Revoke(tok) {
		t.Fatalf("Revoke(live token) = false; want true")
	}
	resp, body := e.call(t, http.MethodGet, c2test.DriversPath, tok, "")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(detail(t, body), "revoked") {
		t.Errorf("GET with a revoked token = %d %s; want 401 revoked", resp.StatusCode, body)
	}
	if e.fake.Revoke(tok) {
		t.Errorf("Revoke(revoked token) = true; want false")
	}
	if e.fake.Revoke("0123456789abcdef0123456789abcdef") {
		t.Errorf("Revoke(unknown token) = true; want false")
	}
}

func TestConcurrentRotationsHaveOneWinner(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	const n = 20
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		req := e.newRequest(t, http.MethodPut, c2test.TokensPathPrefix+tok, tok, "")
		wg.Go(func() {
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Errorf("PUT: %v", err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := make(map[int]int)
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusOK] != 1 || count[http.StatusUnauthorized] != n-1 {
		t.Errorf("statuses of %d concurrent rotations = %v; want one 200 and %d 401", n, count, n-1)
	}
	st := e.fake.Stats()
	if st.Rotations != 1 || st.Unauthorized != n-1 || st.Requests["PUT /charon/tokens/{token}"] != n {
		t.Errorf("Stats() = %+v; want 1 rotation, %d unauthorized, %d PUT requests", st, n-1, n)
	}
}
