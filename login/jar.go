package login

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"

	"github.com/bearer-go/bearer/internal/redact"
)

// hostJar is a cookie jar that keeps the cookies of one host only: the
// API's. Without a public suffix list (golang.org/x/net/publicsuffix is not
// a dependency of this module), a jar cannot tell which Domain attributes
// are safe, so this one ignores them: every cookie is host-only, sent back
// to the exact host that set it and to no other, and cookies from any other
// host (after a redirect, say) are dropped.
//
// It is safe for concurrent use.
type hostJar struct {
	host    string           // the API's host name, lower case, without a port
	secrets *redact.Registry // the client's, which the cookies' values join; set once, before use

	mu       sync.Mutex     // guards jar, received
	jar      *cookiejar.Jar // replaced by clear
	received bool           // a cookie arrived since the last clear
}

// minSessionID is the length from which a cookie's value is taken for a
// session id, kept out of errors whatever its cookie's name: random ids
// are longer, and shorter values (a user name) are worth reading.
const minSessionID = 16

func newHostJar(host string) *hostJar {
	j := &hostJar{host: strings.ToLower(host)}
	j.jar = newCookieJar()
	return j
}

func newCookieJar() *cookiejar.Jar {
	jar, _ := cookiejar.New(nil) // cannot fail without options
	return jar
}

// ours reports whether u is on the API's host.
func (j *hostJar) ours(u *url.URL) bool {
	return u != nil && strings.EqualFold(u.Hostname(), j.host)
}

// SetCookies keeps cookies set by the API's host, as host-only cookies.
func (j *hostJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if !j.ours(u) || len(cookies) == 0 {
		return
	}
	hostOnly := make([]*http.Cookie, len(cookies))
	for i, c := range cookies {
		cc := *c
		cc.Domain = ""
		hostOnly[i] = &cc
		if j.secrets != nil && (len(c.Value) >= minSessionID || redact.IsSensitiveParam(c.Name)) {
			j.secrets.Add(c.Value) // a session's cookies are its credentials
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jar.SetCookies(u, hostOnly)
	j.received = true
}

// Cookies returns the cookies to send to u: none unless u is on the API's
// host.
func (j *hostJar) Cookies(u *url.URL) []*http.Cookie {
	if !j.ours(u) {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jar.Cookies(u)
}

// clear forgets every cookie.
func (j *hostJar) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.jar = newCookieJar()
	j.received = false
}

// gotCookies reports whether a cookie arrived since the last clear.
func (j *hostJar) gotCookies() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.received
}
