package sessiontest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/seed002"
	"github.com/bearer-go/bearer/login/sessiontest"
)

// target is a server under comparison: the fake, or the seed's own.
type target struct {
	name    string
	url     string
	hc      *http.Client
	restart func()
	cookies []*http.Cookie // the last login's
}

// answer is what the comparison looks at in a response: everything the
// seed shows but the Date and Server headers.
type answer struct {
	status                  int
	body, contentType, auth string
	allow                   []string // sorted: Python's set order varies between runs
	cookies                 []string // each Set-Cookie with its value replaced by its shape
	close                   bool
}

// step is one request, sent to both servers.
type step struct {
	name    string
	method  string
	path    string
	form    url.Values // sent form-encoded when set
	body    string     // sent as JSON when set
	cookies func(login []*http.Cookie) []*http.Cookie
	restart bool // restart the server before the request
}

func (tg *target) send(t *testing.T, s step) answer {
	t.Helper()
	if s.restart {
		tg.restart()
	}
	var body io.Reader
	switch {
	case s.form != nil:
		body = strings.NewReader(s.form.Encode())
	case s.body != "":
		body = strings.NewReader(s.body)
	}
	req, err := http.NewRequest(s.method, tg.url+s.path, body)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case s.form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case s.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if s.cookies != nil {
		for _, c := range s.cookies(tg.cookies) {
			req.AddCookie(c)
		}
	}
	resp, err := tg.hc.Do(req)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", tg.name, s.method, s.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(resp.Cookies()) > 0 {
		tg.cookies = resp.Cookies()
	}
	return describe(resp, string(b))
}

// cookieValues replaces the values that differ by nature between two
// servers (a random token, the time of the login) by their shapes.
var cookieValues = []struct{ re, shape string }{
	{`^app1-token=[A-Za-z0-9_-]{22};`, "app1-token=TOKEN;"},
	{`^app1-login-timestamp=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?;`, "app1-login-timestamp=ISOFORMAT;"},
}

func describe(resp *http.Response, body string) answer {
	a := answer{status: resp.StatusCode, body: body, contentType: resp.Header.Get("Content-Type"),
		auth: resp.Header.Get("WWW-Authenticate"), close: resp.Close}
	for _, m := range strings.Split(resp.Header.Get("Allow"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			a.allow = append(a.allow, m)
		}
	}
	slices.Sort(a.allow)
	for _, c := range resp.Header.Values("Set-Cookie") {
		for _, v := range cookieValues {
			c = regexp.MustCompile(v.re).ReplaceAllString(c, v.shape)
		}
		a.cookies = append(a.cookies, c)
	}
	return a
}

// TestAnswersAsTheSeedsServer sends the same requests to the fake and to
// the seed's own Flask server (run by internal/seed002), and compares
// what comes back: status, body, content type, challenge, allowed
// methods, cookies, and the closed connection; through a login, the
// seed's None comparisons, Flask's own answers, and a restart.
func TestAnswersAsTheSeedsServer(t *testing.T) {
	real := seed002.Start(t)
	realHC, err := seed002.Client(real.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(realHC.CloseIdleConnections)
	srv, err := sessiontest.New()
	if err != nil {
		t.Fatal(err)
	}
	for name, pw := range sessiontest.SeedUsers() {
		if err := srv.AddUser(name, pw); err != nil {
			t.Fatal(err)
		}
	}
	ts, certPEM, err := sessiontest.NewTLSServer(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ts.Close)
	fakeHC, err := seed002.Client(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fakeHC.CloseIdleConnections)
	seed := &target{name: "the seed's server", url: real.URL, hc: realHC, restart: real.Restart}
	fake := &target{name: "sessiontest", url: ts.URL, hc: fakeHC, restart: srv.Restart}

	for _, s := range seedSteps() {
		want, got := seed.send(t, s), fake.send(t, s)
		if !equal(got, want) {
			t.Errorf("%s: %s %s:\nsessiontest       %+v\nthe seed's server %+v", s.name, s.method, s.path, got, want)
		}
	}
}

func equal(a, b answer) bool {
	return a.status == b.status && a.body == b.body && a.contentType == b.contentType && a.auth == b.auth &&
		slices.Equal(a.allow, b.allow) && slices.Equal(a.cookies, b.cookies) && a.close == b.close
}

// seedSteps are the requests of the comparison, in order: the later ones
// use the cookies of the last login.
func seedSteps() []step {
	form := func(user, pw string) url.Values { return url.Values{"username": {user}, "password": {pw}} }
	as := func(user string, withToken bool) func([]*http.Cookie) []*http.Cookie {
		return func(login []*http.Cookie) []*http.Cookie {
			var out []*http.Cookie
			if user != "" {
				out = append(out, &http.Cookie{Name: sessiontest.CookieUsername, Value: user})
			}
			for _, c := range login {
				if withToken && c.Name == sessiontest.CookieToken {
					out = append(out, c)
				}
			}
			return out
		}
	}
	loginCookies := func(login []*http.Cookie) []*http.Cookie { return login }
	return []step{
		{name: "wrong password", method: http.MethodPost, path: "/login", form: form("Alice", "wrong_pw")},
		{name: "unknown user", method: http.MethodPost, path: "/login", form: form("Mallory", "alice_pw")},
		{name: "no fields", method: http.MethodPost, path: "/login", form: url.Values{}},
		{name: "empty password", method: http.MethodPost, path: "/login", form: form("Alice", "")},
		{name: "JSON credentials", method: http.MethodPost, path: "/login", body: `{"username":"Alice","password":"alice_pw"}`},
		{name: "login", method: http.MethodPost, path: "/login", form: form("Alice", "alice_pw")},
		{name: "the login's cookies", method: http.MethodGet, path: "/get-info", cookies: loginCookies},
		{name: "HEAD with the cookies", method: http.MethodHead, path: "/get-info", cookies: loginCookies},
		{name: "no cookies", method: http.MethodGet, path: "/get-info"},
		{name: "a token and no name", method: http.MethodGet, path: "/get-info", cookies: as("", true)},
		{name: "the name and no token", method: http.MethodGet, path: "/get-info", cookies: as("Alice", false)},
		{name: "Alice's token under Bob's name", method: http.MethodGet, path: "/get-info", cookies: as("Bob", true)},
		{name: "a name without a session", method: http.MethodGet, path: "/get-info", cookies: as("Carlos", false)},
		{name: "GET /login", method: http.MethodGet, path: "/login"},
		{name: "POST /get-info", method: http.MethodPost, path: "/get-info"},
		{name: "OPTIONS /login", method: http.MethodOptions, path: "/login"},
		{name: "OPTIONS /get-info", method: http.MethodOptions, path: "/get-info"},
		{name: "an unknown path", method: http.MethodGet, path: "/whoami"},
		{name: "a trailing slash", method: http.MethodGet, path: "/login/"},
		{name: "the cookies after a restart", method: http.MethodGet, path: "/get-info", cookies: loginCookies, restart: true},
		{name: "a login after the restart", method: http.MethodPost, path: "/login", form: form("Alice", "alice_pw")},
		{name: "its cookies", method: http.MethodGet, path: "/get-info", cookies: loginCookies},
	}
}
