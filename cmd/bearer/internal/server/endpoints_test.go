package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Every route needs the key on a guarded handler; /healthz and /metrics
// also take it as a bearer token, as Prometheus sends it.
func TestGuardNeedsTheKey(t *testing.T) {
	e := setup(t, nil)
	tests := []struct {
		path   string
		header []string
		want   int
	}{
		{"/v1/tokens/c2", nil, http.StatusUnauthorized},
		{"/v1/tokens/c2", []string{KeyHeader, "wrong"}, http.StatusUnauthorized},
		{"/c2/apf/drivers", []string{"Authorization", "Bearer " + testKey}, http.StatusUnauthorized},
		{"/v1/tokens/c2", []string{KeyHeader, testKey}, http.StatusOK},
		{"/metrics", []string{"Authorization", "Bearer " + testKey}, http.StatusOK},
		{"/healthz", []string{"Authorization", "Bearer " + testKey}, http.StatusOK},
		{"/healthz", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tt.path, nil)
		for i := 0; i+1 < len(tt.header); i += 2 {
			req.Header.Set(tt.header[i], tt.header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s with %q = %d; want %d", tt.path, tt.header, resp.StatusCode, tt.want)
		}
	}
}

// GET /v1/tokens/NAME answers the current token as an RFC 6749 token
// response, never cached, with the planned rotation as its expiry for a
// C2 token; an unknown name is a 404 that lists the names.
func TestTokenEndpoint(t *testing.T) {
	e := setup(t, nil)
	resp, body := e.do(t, http.MethodGet, "/v1/tokens/c2", nil)
	var got tokenJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/tokens/c2 = %d %v", resp.StatusCode, err)
	}
	if !e.fake.Valid(got.AccessToken) || got.TokenType != "Bearer" {
		t.Errorf("GET /v1/tokens/c2 answered a token that is not the live one, or of type %q", got.TokenType)
	}
	next := e.k.Status().NextRefresh
	if !got.Expiry.Equal(next.UTC()) || got.ExpiresIn <= 0 {
		t.Errorf("expiry = %v, expires_in = %d; want the planned rotation %v", got.Expiry, got.ExpiresIn, next)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	resp, body = e.do(t, http.MethodGet, "/v1/tokens/nope", nil)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "c2") {
		t.Errorf("GET /v1/tokens/nope = %d %s; want 404 naming c2", resp.StatusCode, body)
	}
}

// /healthz is 200 while every token is healthy, and 503 with the detail
// once one is lost; /metrics then counts the rejection and the permanent
// failure, and says the token is lost.
func TestHealth(t *testing.T) {
	obs, evs := eventtest.Channel()
	e := setupObserved(t, nil, obs)
	resp, body := e.do(t, http.MethodGet, "/healthz", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"healthy":true`) {
		t.Fatalf("GET /healthz = %d %s; want 200", resp.StatusCode, body)
	}
	tok, _ := e.k.Token(context.Background())
	e.fake.Revoke(tok.AccessToken)
	e.k.Invalidate(tok) // Charon now answers 401: the token is lost
	eventtest.Wait(t, evs, tokenrefresh.Lost)
	select {
	case <-e.k.Lost():
	default:
		t.Error("Lost() is open after the Lost event")
	}
	resp, body = e.do(t, http.MethodGet, "/healthz", nil)
	var h healthJSON
	json.Unmarshal([]byte(body), &h)
	if resp.StatusCode != http.StatusServiceUnavailable || h.Healthy || len(h.Tokens) != 1 || !h.Tokens[0].Lost ||
		!strings.Contains(h.Tokens[0].LastError, "issue a new token") || h.Tokens[0].Failures["permanent"] != 1 {
		t.Errorf("GET /healthz after the token was lost = %d %s; want 503 with the token lost, one permanent failure, and what to do",
			resp.StatusCode, body)
	}
	if strings.Contains(body, tok.AccessToken) {
		t.Error("/healthz shows the token")
	}
	e.wantMetrics(t, map[string]string{
		`bearer_token_lost{token="c2"}`:                                "1",
		`bearer_token_healthy{token="c2"}`:                             "0",
		`bearer_token_failures_total{token="c2",kind="permanent"}`:     "1",
		`bearer_token_failures_total{token="c2",kind="temporary"}`:     "0",
		`bearer_token_rejections_total{token="c2",outcome="replaced"}`: "1",
		`bearer_token_rejections_total{token="c2",outcome="limited"}`:  "0",
		`bearer_token_refreshes_total{token="c2"}`:                     "1",
	})
}

// /metrics follows the token's events: a rejected token whose rotation
// fails with a 503 (which Charon may have applied: in doubt) and then
// succeeds counts one rejection, one failure in doubt and a second
// refresh.
func TestMetricsFollowTheEvents(t *testing.T) {
	obs, evs := eventtest.Channel()
	e := setupObserved(t, nil, obs)
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Path: c2test.TokensPathPrefix, Status: http.StatusServiceUnavailable})
	tok, _ := e.k.Token(context.Background())
	e.k.Invalidate(tok)
	eventtest.Wait(t, evs, tokenrefresh.Rejected)
	eventtest.Wait(t, evs, tokenrefresh.Failed)
	e.fake.ClearFaults()
	// A caller waits for the dead token's replacement: the retry comes
	// within a second.
	if _, body := e.do(t, http.MethodGet, "/v1/tokens/c2", nil); !strings.Contains(body, "access_token") {
		t.Fatalf("GET /v1/tokens/c2 after the failure = %s", body)
	}
	eventtest.Wait(t, evs, tokenrefresh.Refreshed)
	e.wantMetrics(t, map[string]string{
		`bearer_token_refreshes_total{token="c2"}`:                     "2",
		`bearer_token_failures_total{token="c2",kind="in_doubt"}`:      "1",
		`bearer_token_failures_total{token="c2",kind="temporary"}`:     "0",
		`bearer_token_failures_total{token="c2",kind="permanent"}`:     "0",
		`bearer_token_rejections_total{token="c2",outcome="replaced"}`: "1",
		`bearer_token_adoptions_total{token="c2"}`:                     "0",
		`bearer_token_holds_total{token="c2"}`:                         "0",
		`bearer_token_lost{token="c2"}`:                                "0",
		`bearer_token_consecutive_failures{token="c2"}`:                "0",
	})
}

// sampleLine is a sample of the text exposition format with our labels.
var sampleLine = regexp.MustCompile(`^([a-z_]+)\{token="[a-z0-9_.-]+"(,(code="(none|[1-5]xx)"|kind="[a-z_]+"|outcome="[a-z]+"))?\} (-?[0-9.e+]+)$`)

// metrics gets /metrics and returns its samples by name and labels. It
// checks that the text is valid Prometheus text: each family's HELP and
// TYPE come before its samples, and each sample is well formed.
func (e *env) metrics(t *testing.T) (*http.Response, map[string]string) {
	t.Helper()
	resp, body := e.do(t, http.MethodGet, "/metrics", nil)
	typed := map[string]string{}
	values := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if f, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(f, " ")
			typed[name] = kind
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a sample: %q", line)
			continue
		}
		if typed[m[1]] == "" {
			t.Errorf("sample of %s before its TYPE", m[1])
		}
		values[strings.Fields(line)[0]] = m[len(m)-1]
	}
	return resp, values
}

// wantMetrics checks samples of /metrics.
func (e *env) wantMetrics(t *testing.T, want map[string]string) {
	t.Helper()
	_, values := e.metrics(t)
	for k, v := range want {
		if values[k] != v {
			t.Errorf("%s = %q; want %s", k, values[k], v)
		}
	}
}

// /metrics is valid Prometheus text, and the counters count; the time to
// expiry of a C2 token, which has no expiry, is not reported.
func TestMetricsFormat(t *testing.T) {
	e := setup(t, nil)
	e.do(t, http.MethodGet, "/v1/tokens/c2", nil)
	e.do(t, http.MethodGet, "/c2/apf/drivers", nil)
	resp, values := e.metrics(t)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	want := map[string]string{
		`bearer_token_healthy{token="c2"}`:                    "1",
		`bearer_token_refreshes_total{token="c2"}`:            "1",
		`bearer_token_requests_total{token="c2"}`:             "1",
		`bearer_proxy_responses_total{token="c2",code="2xx"}`: "1",
	}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("%s = %q; want %s", k, values[k], v)
		}
	}
	if v, ok := values[`bearer_token_time_to_expiry_seconds{token="c2"}`]; ok {
		t.Errorf("time to expiry of a token without expiry = %s; want none", v)
	}
}

// A handler without a key (a Unix socket's) serves without one.
func TestHandlerWithoutKey(t *testing.T) {
	e := setup(t, nil)
	srv := httptest.NewServer(New([]*keeper.Keeper{e.k}, slog.New(slog.DiscardHandler)).Handler(nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/tokens/c2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/tokens/c2 without a key = %d; want 200", resp.StatusCode)
	}
}
