package sessiontest_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/login/sessiontest"
)

func TestLoginFailures(t *testing.T) {
	f := setup(t)
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantRealm  string
	}{
		{"no fields", url.Values{}, http.StatusUnauthorized, `Basic realm="Login required"`},
		{"no password", url.Values{"username": {"Alice"}}, http.StatusUnauthorized, `Basic realm="Login required"`},
		{"empty password", creds("Alice", ""), http.StatusUnauthorized, `Basic realm="Login required"`},
		{"no username", url.Values{"password": {"alice_pw"}}, http.StatusUnauthorized, `Basic realm="Login required"`},
		{"unknown user", creds("Mallory", "alice_pw"), http.StatusUnauthorized, `Basic realm="No such user"`},
		{"user name is case-sensitive", creds("alice", "alice_pw"), http.StatusUnauthorized, `Basic realm="No such user"`},
		{"wrong password", creds("Alice", "wrong_pw"), http.StatusForbidden, `Basic realm="Password incorrect"`},
		{"another user's password", creds("Alice", "bob_pw"), http.StatusForbidden, `Basic realm="Password incorrect"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t)
			got := f.login(t, c, tt.form)
			if got.status != tt.wantStatus || got.body != "Verification failed" {
				t.Errorf("POST /login = %d %q; want %d %q", got.status, got.body, tt.wantStatus, "Verification failed")
			}
			if h := got.header.Get("WWW-Authenticate"); h != tt.wantRealm {
				t.Errorf("WWW-Authenticate = %q; want %q", h, tt.wantRealm)
			}
			if h := got.header.Values("Set-Cookie"); len(h) != 0 {
				t.Errorf("Set-Cookie = %q; want none", h)
			}
		})
	}
}

func TestLoginSetsSeedCookies(t *testing.T) {
	f := setup(t)
	c := f.client(t)
	got := f.login(t, c, creds("Alice", "alice_pw"))
	if got.status != http.StatusOK || got.body != "Logged in" {
		t.Fatalf("POST /login = %d %q; want 200 %q", got.status, got.body, "Logged in")
	}
	if ct := got.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q; want Flask's text/html; charset=utf-8", ct)
	}
	cookies := map[string]*http.Cookie{}
	for _, line := range got.header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("ParseSetCookie(%q): %v", line, err)
		}
		if ck.Path != "/" {
			t.Errorf("cookie %s has Path %q; want /", ck.Name, ck.Path)
		}
		cookies[ck.Name] = ck
	}
	if len(cookies) != 3 {
		t.Fatalf("got cookies %v; want the seed's three", cookies)
	}
	if v := cookies[sessiontest.CookieUsername].Value; v != "Alice" {
		t.Errorf("%s = %q; want Alice", sessiontest.CookieUsername, v)
	}
	if v := cookies[sessiontest.CookieToken].Value; !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(v) {
		t.Errorf("%s = %q; want 22 URL-safe characters like token_urlsafe(16)", sessiontest.CookieToken, v)
	}
	if v := cookies[sessiontest.CookieLoginTimestamp].Value; v != "2021-04-18T22:54:04.387689" {
		t.Errorf("%s = %q; want the injected clock in isoformat", sessiontest.CookieLoginTimestamp, v)
	}
}

func TestLoginTimestampWithoutMicroseconds(t *testing.T) {
	clk := fakeclock.New(time.Date(2021, 4, 18, 23, 1, 28, 0, time.UTC))
	srv, err := sessiontest.New(sessiontest.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.AddUser("Bob", "bob_pw"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(creds("Bob", "bob_pw").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessiontest.CookieLoginTimestamp && ck.Value != "2021-04-18T23:01:28" {
			t.Errorf("%s = %q; want Python's isoformat without microseconds", ck.Name, ck.Value)
		}
	}
}

func TestLoginBodyLimit(t *testing.T) {
	f := setup(t)
	body := "username=Alice&password=alice_pw&pad=" + strings.Repeat("a", 1<<20)
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got := do(t, f.client(t), req); got.status != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /login with a 1 MiB form = %d; want 413", got.status)
	}
	if got := f.srv.Stats(); got.Logins != 0 {
		t.Errorf("Stats().Logins = %d after an oversized form; want 0", got.Logins)
	}
}

func FuzzLogin(f *testing.F) {
	f.Add("Alice", "alice_pw")
	f.Add("Alice", "")
	f.Add("", "x")
	f.Add("Bob\x00", "bob_pw")
	f.Add("名前", "パス")
	srv, err := sessiontest.New()
	if err != nil {
		f.Fatal(err)
	}
	if err := srv.AddUser("Alice", "alice_pw"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, user, pw string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(creds(user, pw).Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusForbidden:
		default:
			t.Fatalf("POST /login(%q, %q) = %d; want 200, 401 or 403", user, pw, rec.Code)
		}
		if body := rec.Body.String(); body != "Logged in" && body != "Verification failed" {
			t.Fatalf("POST /login(%q, %q) body = %q; want one of the seed's two", user, pw, body)
		}
	})
}
