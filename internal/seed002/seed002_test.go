package seed002_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/seed002"
)

// The server runs the seed's code: a login sets the session's cookies,
// the cookies open /get-info, and a restart forgets the session, so the
// same cookies then get the seed's 403. Requests counts from the server's
// own log.
func TestServerRestartForgetsSessions(t *testing.T) {
	srv := seed002.Start(t)
	hc, err := seed002.Client(srv.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	defer hc.CloseIdleConnections()
	resp, err := hc.PostForm(srv.URL+"/login", url.Values{"username": {"Alice"}, "password": {"alice_pw"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if resp.StatusCode != http.StatusOK || len(cookies) != 3 {
		t.Fatalf("POST /login = %s with %d cookies; want 200 with 3", resp.Status, len(cookies))
	}
	getInfo := func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/get-info", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	if code, body := getInfo(); code != http.StatusOK || body != `{"Secret-number":42}` {
		t.Errorf("GET /get-info = %d %s; want 200 {\"Secret-number\":42}", code, body)
	}
	srv.Restart()
	if code, body := getInfo(); code != http.StatusForbidden || body != "Alice denied access to resource" {
		t.Errorf("GET /get-info after the restart = %d %q; want 403 \"Alice denied access to resource\"", code, body)
	}
	if n := srv.Requests(t, http.MethodPost, "/login"); n != 1 {
		t.Errorf("the server logged %d logins; want 1", n)
	}
	if n := srv.Requests(t, http.MethodGet, "/get-info"); n != 2 {
		t.Errorf("the server logged %d GET /get-info; want 2, across the restart", n)
	}
}
