package login

import (
	"net/http"
	"net/url"
	"testing"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func names(cookies []*http.Cookie) []string {
	var n []string
	for _, c := range cookies {
		n = append(n, c.Name+"="+c.Value)
	}
	return n
}

func TestHostJarKeepsTheAPIHostOnly(t *testing.T) {
	j := newHostJar("API.example.com")
	api := mustURL(t, "https://api.example.com/login")
	j.SetCookies(mustURL(t, "https://evil.example.com/"), []*http.Cookie{{Name: "evil", Value: "1"}})
	if j.gotCookies() {
		t.Error("a cookie from another host counted as received")
	}
	j.SetCookies(api, []*http.Cookie{
		{Name: "sid", Value: "1", Path: "/"},
		{Name: "wide", Value: "2", Path: "/", Domain: "example.com"},
	})
	if !j.gotCookies() {
		t.Error("gotCookies() = false after the API set cookies")
	}
	tests := []struct {
		url  string
		want int
	}{
		{"https://api.example.com/get-info", 2},
		{"https://API.EXAMPLE.COM:8443/other", 2}, // cookies ignore ports (RFC 6265 8.5)
		{"https://www.example.com/", 0},           // Domain=example.com is not honoured
		{"https://example.com/", 0},
		{"https://evil.example.com/", 0},
	}
	for _, tt := range tests {
		if got := j.Cookies(mustURL(t, tt.url)); len(got) != tt.want {
			t.Errorf("Cookies(%s) = %v; want %d cookies", tt.url, names(got), tt.want)
		}
	}
	j.clear()
	if got := j.Cookies(api); len(got) != 0 || j.gotCookies() {
		t.Errorf("after clear: Cookies = %v, gotCookies = %v; want none", names(got), j.gotCookies())
	}
}
