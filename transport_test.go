package bearer_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer"
	"golang.org/x/oauth2"
)

func TestTransportAuthorizesACopy(t *testing.T) {
	a := newAPI(t, "abc")
	hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken("abc")}}
	req, _ := http.NewRequest("GET", a.srv.URL+"/x", nil)
	req.Header.Set("X-Keep", "1")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d; want 200", resp.StatusCode)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("caller's request was modified: Authorization = %q", got)
	}
	if len(req.Header) != 1 {
		t.Errorf("caller's header map changed: %v", req.Header)
	}
}

func TestTransportRefusesPlainHTTPToRemoteHosts(t *testing.T) {
	body := &trackingBody{Reader: strings.NewReader("x")}
	tr := &bearer.Transport{Source: bearer.StaticToken("abc"), Base: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Fatal("a request was sent")
		return nil, nil
	})}
	req, _ := http.NewRequest("POST", "http://api.example.com/x", body)
	_, err := tr.RoundTrip(req)
	var ie *bearer.InsecureURLError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "refusing to send credentials over plain http") {
		t.Errorf("RoundTrip(http://api.example.com) = %v; want a refusal", err)
	}
	if !body.closed.Load() {
		t.Error("the request body was not closed on the early error")
	}
	// A Base of the caller's own cannot be checked when it connects: only
	// loopback IP literals, not names, may receive a token over plain http.
	for u, allowed := range map[string]bool{
		"http://127.0.0.1:1/x": true, "http://[::1]:1/x": true,
		"http://localhost:1/x": false, "http://app.localhost/x": false,
	} {
		tr := &bearer.Transport{Source: bearer.StaticToken("abc"), Base: okTripper}
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := tr.RoundTrip(req); (err == nil) != allowed {
			t.Errorf("RoundTrip(%s) through a Base of the caller's = %v; want allowed %v", u, err, allowed)
		}
	}
	tr = &bearer.Transport{Source: bearer.StaticToken("abc"), Base: okTripper, AllowInsecureHTTP: true}
	req, _ = http.NewRequest("GET", "http://api.example.com/x", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Errorf("RoundTrip with AllowInsecureHTTP = %v", err)
	}
}

func TestTransportWithoutBaseTrustsLocalhostForWhatItResolvesTo(t *testing.T) {
	a := newAPI(t, "abc")
	hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken("abc")}}
	resp, err := hc.Get(strings.Replace(a.srv.URL, "127.0.0.1", "localhost", 1) + "/x")
	if err != nil {
		t.Fatalf("GET http://localhost through a Transport with no Base = %v; localhost resolves to this machine", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status = %d; want 200", resp.StatusCode)
	}
}

func TestTransportRefusesARedirectToAnotherHost(t *testing.T) {
	var reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer other.Close()
	a := newAPI(t, "abc")
	var referers []string
	a.handle(func(w http.ResponseWriter, r *http.Request) {
		referers = append(referers, r.Header.Get("Referer"))
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/away":
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
		default:
			w.Write([]byte("ok"))
		}
	})
	hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken("abc")}}
	resp, err := hc.Get(a.srv.URL + "/same?access_token=abc")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("same-host redirect: %v %v; want 200 (token kept)", resp, err)
	}
	resp.Body.Close()
	for _, r := range referers {
		if r != "" {
			t.Errorf("a redirected request carried Referer %q", r)
		}
	}
	_, err = hc.Post(a.srv.URL+"/away", "text/plain", strings.NewReader("body"))
	var re *bearer.RedirectError
	if !errors.As(err, &re) || re.Target != other.URL {
		t.Errorf("cross-host redirect = %v; want a RedirectError naming %s", err, other.URL)
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the other host received %d requests; want 0", n)
	}
}

func TestTransportReplaysOnceAfter401(t *testing.T) {
	a := newAPI(t, "tok-2") // tok-1 was revoked server-side
	src := &rotatingSource{}
	hc := &http.Client{Transport: &bearer.Transport{Source: src}}
	req, _ := http.NewRequest("POST", a.srv.URL+"/x", strings.NewReader(`{"n":1}`))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `{\"n\":1}`) {
		t.Fatalf("replayed POST = %d %s; want 200 with the body sent again", resp.StatusCode, body)
	}
	if n := src.Made(); n != 2 {
		t.Errorf("tokens made = %d; want 2 (one rejected, one replacement)", n)
	}
	if n := a.requests.Load(); n != 2 {
		t.Errorf("server saw %d requests; want 2 (one replay)", n)
	}
}

func TestTransportReplaysAtMostOnce(t *testing.T) {
	a := newAPI(t, "never")
	src := &rotatingSource{}
	hc := &http.Client{Transport: &bearer.Transport{Source: src}}
	resp, err := hc.Get(a.srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("status = %d; want the second 401 returned", resp.StatusCode)
	}
	if n := a.requests.Load(); n != 2 {
		t.Errorf("server saw %d requests; want 2", n)
	}
}

func TestTransportDoesNotReplay(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   io.Reader
		tokens int // made by the source: an unrewindable 401 still gets the next one, to learn whether there is one
	}{
		{"403 never refreshes", http.StatusForbidden, nil, 1},
		{"unrewindable body", http.StatusUnauthorized, io.NopCloser(strings.NewReader("stream")), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, "tok-1")
			a.handle(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			src := &rotatingSource{}
			hc := &http.Client{Transport: &bearer.Transport{Source: src}}
			req, _ := http.NewRequest("POST", a.srv.URL+"/x", tt.body)
			req.GetBody = nil
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status || a.requests.Load() != 1 || src.Made() != tt.tokens {
				t.Errorf("status %d, %d requests, %d tokens; want %d, 1, %d", resp.StatusCode, a.requests.Load(), src.Made(), tt.status, tt.tokens)
			}
		})
	}
}

func TestTransportTokenErrorIsTypedAndClosesBody(t *testing.T) {
	cause := errors.New("token endpoint down")
	tr := &bearer.Transport{Source: bearer.TokenSourceFunc(func(context.Context) (*oauth2.Token, error) { return nil, cause }), Base: okTripper}
	body := &trackingBody{Reader: strings.NewReader("x")}
	req, _ := http.NewRequest("PUT", "https://api.example.com/x", body)
	_, err := tr.RoundTrip(req)
	var te *bearer.TokenError
	if !errors.As(err, &te) || !errors.Is(err, cause) {
		t.Errorf("RoundTrip = %v; want a *TokenError wrapping the cause", err)
	}
	if !body.closed.Load() {
		t.Error("body not closed")
	}
	if _, err := (&bearer.Transport{}).RoundTrip(req); err == nil {
		t.Error("RoundTrip without a Source = nil error")
	}
	empty := bearer.TokenSourceFunc(func(context.Context) (*oauth2.Token, error) { return nil, nil })
	if _, err := (&bearer.Transport{Source: empty, Base: okTripper}).RoundTrip(req); !errors.As(err, &te) {
		t.Errorf("RoundTrip with a source answering no token = %v; want a *TokenError", err)
	}
}

func TestAdapters(t *testing.T) {
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "o2"})
	src := bearer.FromOAuth2(ts)
	if tok, err := src.Token(context.Background()); err != nil || tok.AccessToken != "o2" {
		t.Errorf("FromOAuth2().Token = %v, %v", tok, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("FromOAuth2().Token(cancelled) = %v; want context.Canceled", err)
	}
	back := bearer.ToOAuth2(bearer.StaticToken("s"))
	if tok, err := back.Token(); err != nil || tok.AccessToken != "s" {
		t.Errorf("ToOAuth2().Token = %v, %v", tok, err)
	}
	if s := bearer.StaticToken("secret-value"); strings.Contains(fmtAll(s), "secret-value") {
		t.Errorf("StaticToken prints its token: %s", fmtAll(s))
	}
	if _, err := bearer.StaticToken("").Token(context.Background()); err == nil {
		t.Error(`StaticToken("").Token = nil error`)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var okTripper = roundTripFunc(func(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
})
