package httpx

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer/internal/redact"
)

const canary = "CANARY-secret-6a1f0c2e9d"

// redirector answers every request with status and a Location on target.
func redirector(t *testing.T, status int, target string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", target+"/stolen?token="+canary)
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

// counter counts the requests that reach it.
func counter(t *testing.T, n *atomic.Int64) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, `{"payload":"stolen"}`)
	}))
	t.Cleanup(s.Close)
	return s
}

func TestSendNeverFollowsARedirect(t *testing.T) {
	for _, status := range []int{301, 302, 303, 307, 308} {
		var reached atomic.Int64
		other := counter(t, &reached)
		srv := redirector(t, status, other.URL)
		x, err := NewExchange(ExchangeConfig{Pkg: "test"})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", srv.URL+"/token", strings.NewReader("password="+canary))
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("id:"+canary)))
		_, err = x.Send(req, 1<<20)
		var re *RedirectError
		if !errors.As(err, &re) || re.StatusCode != status || re.Target != other.URL {
			t.Errorf("Send after %d = %v; want a RedirectError naming %s", status, err, other.URL)
		}
		if err != nil && (strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "stolen")) {
			t.Errorf("Send after %d = %v; names more than the host", status, err)
		}
		if n := reached.Load(); n != 0 {
			t.Errorf("after %d, %d requests reached the other host; want 0", status, n)
		}
		x.Close()
	}
}

func TestSendRefusesNamesWithACallersTransport(t *testing.T) {
	var reached atomic.Int64
	srv := counter(t, &reached)
	x, err := NewExchange(ExchangeConfig{Pkg: "test", HTTPClient: &http.Client{Transport: &http.Transport{}}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), nil)
	_, err = x.Send(req, 1<<20)
	var ie *InsecureURLError
	if !errors.As(err, &ie) || reached.Load() != 0 {
		t.Errorf("Send(http://localhost) through a caller's transport = %v, %d requests; want an InsecureURLError and none", err, reached.Load())
	}
	req, _ = http.NewRequest("POST", srv.URL, nil)
	if _, err := x.Send(req, 1<<20); err != nil || reached.Load() != 1 {
		t.Errorf("Send(http://127.0.0.1) = %v; want it sent", err)
	}
}

func TestSameOriginFollowsOnlyTheSameHost(t *testing.T) {
	var reached atomic.Int64
	other := counter(t, &reached)
	var referers []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		referers = append(referers, r.Header.Get("Referer"))
		switch r.URL.Path {
		case "/here":
			http.Redirect(w, r, "/there?access_token="+canary, http.StatusTemporaryRedirect)
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		default:
			body, _ := io.ReadAll(r.Body)
			w.Write(body)
		}
	}))
	defer srv.Close()
	hc := &http.Client{CheckRedirect: SameOrigin(nil)}
	req, _ := http.NewRequest("POST", srv.URL+"/here?api-key="+canary, strings.NewReader("body"))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != "body" {
		t.Errorf("same-host 307 = %d %q; want 200 with the body sent again", resp.StatusCode, got)
	}
	for _, ref := range referers {
		if ref != "" {
			t.Errorf("a redirected request carried Referer %q", ref)
		}
	}
	req, _ = http.NewRequest("POST", srv.URL+"/away", strings.NewReader("body"))
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || reached.Load() != 0 {
		t.Errorf("cross-host 307 = %d, %d requests reached the other host; want the 307 itself and none", resp.StatusCode, reached.Load())
	}
}

func TestRedactedAnswer(t *testing.T) {
	var reg redact.Registry
	reg.Add(canary)
	basic := base64.StdEncoding.EncodeToString([]byte("client:" + canary))
	reg.Add(basic)
	tests := map[string]struct {
		contentType, body string
	}{
		"raw":                           {"application/json", `{"error":"invalid_token","error_description":"bad ` + canary + `"}`},
		"form-encoded tokens at 200":    {"application/x-www-form-urlencoded", "access_token=AT-fresh-1234&refresh_token=RT-fresh-5678"},
		"form-encoded, labelled text":   {"text/plain", "access_token=AT-fresh-1234&refresh_token=RT-fresh-5678"},
		"Basic header echoed":           {"application/json", `{"error":"invalid_client","error_description":"bad header Basic ` + basic + `"}`},
		`JSON-escaped \/ and \u0026`:    {"application/json", `{"error_description":"` + strings.ReplaceAll(canary, "-", `\u002d`) + `"}`},
		"JSON token fields in an error": {"application/json", `{"error":"x","access_token":"AT-fresh-1234","data":{"refresh_token":"RT-fresh-5678"}}`},
	}
	for name, tt := range tests {
		a := &Answer{StatusCode: 400, Header: http.Header{"Content-Type": {tt.contentType}}, Body: []byte(tt.body)}
		p, body := a.Redacted(&reg, 1<<10)
		all := body + p.Code + p.Message + p.URI + p.Describe()
		for _, secret := range []string{canary, basic, "AT-fresh-1234", "RT-fresh-5678", "CANARY"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s: Redacted kept %q: %s", name, secret, all)
			}
		}
	}
}

func TestRedactedAnswerCutInsideASecret(t *testing.T) {
	var reg redact.Registry
	reg.Add(canary)
	body := strings.Repeat("x", 20) + canary + " tail"
	for keep := 10; keep <= len(body); keep++ {
		a := &Answer{StatusCode: 500, Header: http.Header{}, Body: []byte(body)}
		_, kept := a.Redacted(&reg, keep)
		for k := 4; k <= len(canary); k++ {
			if strings.Contains(kept, canary[:k]) {
				t.Fatalf("Redacted(keep %d) = %q; keeps %d bytes of the secret", keep, kept, k)
			}
		}
		// The same body read up to a limit that falls inside the secret.
		a = &Answer{StatusCode: 500, Header: http.Header{}, Body: []byte(body[:keep]), Oversize: true}
		_, kept = a.Redacted(&reg, 1<<10)
		if keep >= 24 && strings.Contains(kept, canary[:4]) {
			t.Fatalf("a body read up to %d bytes keeps a piece of the secret: %q", keep, kept)
		}
	}
}
