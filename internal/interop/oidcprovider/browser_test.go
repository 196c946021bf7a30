package oidcprovider_test

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// maxPages bounds the pages one sign-in goes through: oidc-provider's dev
// interactions show a login page, then a consent page (and, for the
// device grant, a code confirmation page before them).
const maxPages = 8

// A browser is the user: it follows redirects with cookies, and submits
// every form oidc-provider's dev interactions show (any login and
// password, consent, the device code's confirmation) with plain HTTP
// posts, until a page without a form or a redirect to stopAt. A browser
// that denies aborts at the first page instead.
type browser struct {
	client  *http.Client
	stopAt  string // a URL prefix whose redirects are not followed; empty follows all
	deny    bool
	aborted bool // the last request refused
	// landed is where the browser came back to stopAt, and callback the
	// query it brought, or the form it posted (response_mode=form_post).
	landed   *url.URL
	callback url.Values
}

func newBrowser(stopAt string) *browser {
	return (&browser{stopAt: stopAt}).withJar()
}

// withJar gives b its HTTP client, with an empty cookie jar.
func (b *browser) withJar() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err) // cookiejar.New never fails without options
	}
	b.client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if b.stopAt != "" && strings.HasPrefix(req.URL.String(), b.stopAt) {
			b.landed, b.callback = req.URL, req.URL.Query()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// open is an AuthCodeConfig.OpenBrowser: it signs in and consents at
// authURL, ending at the redirect URI.
func (b *browser) open(ctx context.Context, authURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return err
	}
	for range maxPages {
		if b.stopAt != "" && req.Method == http.MethodPost && strings.HasPrefix(req.URL.String(), b.stopAt) {
			return b.land(req)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil || b.landed != nil || b.aborted {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s: %.300s", resp.Request.URL, resp.Status, body)
		}
		next := nextForm
		if b.deny {
			next = b.abort
		}
		if req, err = next(ctx, resp.Request.URL, string(body)); err != nil || req == nil {
			return err
		}
	}
	return fmt.Errorf("still signing in after %d pages", maxPages)
}

// land takes the form post to stopAt that a form_post response page
// makes, instead of sending it.
func (b *browser) land(req *http.Request) error {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return err
	}
	b.landed = req.URL
	b.callback, err = url.ParseQuery(string(body))
	return err
}

var (
	formTag  = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputTag = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	attr     = regexp.MustCompile(`(?is)\b(name|value|action|method)="([^"]*)"`)
)

// nextForm returns the post of the page's first form, filled in as a user
// would, or nil when the page has none.
func nextForm(ctx context.Context, page *url.URL, body string) (*http.Request, error) {
	m := formTag.FindStringSubmatch(body)
	if m == nil {
		return nil, nil
	}
	attrs := attributes(m[1])
	if !strings.EqualFold(attrs["method"], "post") {
		return nil, errors.New("the page's form is not a post")
	}
	action, err := page.Parse(attrs["action"])
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for _, in := range inputTag.FindAllStringSubmatch(m[2], -1) {
		a := attributes(in[1])
		switch a["name"] {
		case "":
		case "login":
			form.Set("login", "alice")
		case "password":
			form.Set("password", "any password")
		default:
			form.Set(a["name"], a["value"])
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

var abortLink = regexp.MustCompile(`href="([^"]*/abort)"`)

// abort returns the request that refuses: the dev interactions' abort
// link, or the device confirmation form with its abort button; on a page
// that offers neither, the page's form, filled in.
func (b *browser) abort(ctx context.Context, page *url.URL, body string) (*http.Request, error) {
	if m := abortLink.FindStringSubmatch(body); m != nil {
		b.aborted = true
		u, err := page.Parse(html.UnescapeString(m[1]))
		if err != nil {
			return nil, err
		}
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	req, err := nextForm(ctx, page, body)
	if err != nil || req == nil || !strings.Contains(body, `name="abort"`) {
		return req, err // nothing to refuse yet, such as the device code's input
	}
	form, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	b.aborted = true
	req.Body = io.NopCloser(strings.NewReader(string(form) + "&abort=yes"))
	req.ContentLength = -1
	return req, nil
}

func attributes(tag string) map[string]string {
	out := map[string]string{}
	for _, a := range attr.FindAllStringSubmatch(tag, -1) {
		out[strings.ToLower(a[1])] = html.UnescapeString(a[2])
	}
	return out
}
