package httpx

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// maxRedirects bounds a chain of redirects an API request follows, as
// net/http's default policy does.
const maxRedirects = 10

// SameOrigin returns the CheckRedirect of API requests: a redirect is
// followed only to the scheme and host of the request that started the
// chain, at most maxRedirects times, and without a Referer (which
// net/http sets from the previous URL, query included, so it could carry
// a token or a signature). A redirect elsewhere is not followed: the
// client gets the 3xx answer itself. Since only the same host is ever
// reached, a body is never sent to another host. next, if not nil, is
// the caller's own policy, consulted after these rules.
func SameOrigin(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if !sameOrigin(via[0].URL, req.URL) {
			return http.ErrUseLastResponse
		}
		req.Header.Del("Referer")
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Host, b.Host)
}

// noRedirect is the CheckRedirect of requests that carry credentials:
// none is followed.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// RedirectError is a 3xx answer to a request that carried a credential (a
// token request, a rotation, a login form, a revocation) or to an API
// request redirected to another host. Such a redirect is never followed:
// it could take the credential, or the body, to a host it was not meant
// for, and an answer from there would be taken for the server's. It names
// the status and the host the redirect pointed to, never the full
// address, which may carry secrets.
type RedirectError struct {
	Method     string // the request's method
	URL        string // the request's URL, redacted
	StatusCode int    // the 3xx status
	Target     string // the scheme and host the answer pointed to; empty if it gave no valid Location

	pkg string
}

// NewRedirectError describes a redirect that is not followed: method
// url (redacted) answered status pointing to target (a scheme and host).
func NewRedirectError(pkg, method, url string, status int, target string) *RedirectError {
	return &RedirectError{Method: method, URL: url, StatusCode: status, Target: target, pkg: pkg}
}

// Error names the redirect and says what to do.
func (e *RedirectError) Error() string {
	where := "without a valid Location"
	if e.Target != "" {
		where = "to " + e.Target
	}
	return fmt.Sprintf("%s: %s %s answered %d %s, a redirect %s, which is not followed: a request that carries credentials goes only where it was addressed: check the URL, and use the address it points to only if you trust it",
		e.pkg, e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode), where)
}

// Permanent reports whether the redirect is permanent (301, 308): the
// configured URL is out of date, and retrying cannot help.
func (e *RedirectError) Permanent() bool {
	return e.StatusCode == http.StatusMovedPermanently || e.StatusCode == http.StatusPermanentRedirect
}

// RedirectTarget returns the scheme and host a 3xx answer to u points to,
// or "" if its Location is missing or unreadable.
func RedirectTarget(u *url.URL, h http.Header) string {
	loc := h.Get("Location")
	if loc == "" {
		return ""
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	t := u.ResolveReference(ref)
	if t.Host == "" {
		return ""
	}
	return t.Scheme + "://" + t.Host
}

// IsRedirect reports whether status is a redirect net/http would follow.
func IsRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}
