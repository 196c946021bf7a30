package bearer_test

// The leak matrix: every failure path of issue 11 through which a secret
// left the SDK, each a row that drives it against a server of its own and
// asserts that the canary reaches no error, no log line, no status, and no
// host it was not meant for. Add a row for each new failure path.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/climateengine"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/internal/httpx"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/bearer-go/bearer/login"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// The canaries: a token, a client secret, a password, and a value that
// only a query parameter's name marks secret. Each holds characters that
// every encoding changes ('/', '&', '+', '='), so that an echo in any
// encoding is a different string from the raw one.
const (
	leakToken    = "CANARYtok/7f3a&9c1e+5b2d=4068"
	leakSecret   = "CANARYsec/51c0&ab8d+e2f6=17a9"
	leakPassword = "CANARYpwd/0b9e&44c1+d7a2=8f03"
	leakQuery    = "CANARYqry-6d2e90a4b1c7f385"
	leakClientID = "leak-client"
	// leakCharon is a C2 token: 32 printable characters.
	leakCharon = "CANARYc2-0f1e2d3c4b5a69788796a5b"
)

// leakForms returns every form in which a canary could leak: each of
// leakEncodings, base64 in a Basic header, and every piece of it at least
// 8 bytes long, as a cut could leave.
func leakForms() []string {
	var forms []string
	for _, v := range []string{leakToken, leakSecret, leakPassword, leakQuery, leakCharon} {
		for _, f := range leakEncodings(v) {
			forms = append(forms, f)
		}
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(leakClientID)+":"+url.QueryEscape(v))))
		for i := 0; i+8 <= len(v); i++ {
			forms = append(forms, v[i:i+8])
		}
	}
	return forms
}

// leakEncodings returns v as the encoders of different languages write
// it: escaped for a query or a path, with lower-case hex, as Python's
// quote (which keeps '/'), JSON-escaped (with and without HTML escapes,
// with escaped slashes, every character as \u00xx in either case),
// HTML-escaped, and base64 (std and URL alphabets).
func leakEncodings(v string) map[string]string {
	j, _ := json.Marshal(v)
	js := string(j[1 : len(j)-1])
	var lowerHex, upperU strings.Builder
	for _, c := range []byte(v) {
		fmt.Fprintf(&lowerHex, "%%%02x", c)
		fmt.Fprintf(&upperU, `\u%04X`, c)
	}
	return map[string]string{
		"query":             url.QueryEscape(v),
		"path":              url.PathEscape(v),
		"lower-case hex":    lowerHex.String(),
		"Python quote":      strings.ReplaceAll(url.QueryEscape(v), "%2F", "/"),
		"JSON":              js,
		`JSON \/`:           strings.ReplaceAll(js, "/", `\/`),
		`raw \/`:            strings.ReplaceAll(v, "/", `\/`),
		`JSON \u002f`:       strings.NewReplacer("/", `\u002f`, "&", `\u0026`, "+", `\u002b`).Replace(v),
		`JSON \u00XX`:       upperU.String(),
		"HTML":              strings.NewReplacer("&", "&amp;", "/", "&#47;", "+", "&#x2B;").Replace(v),
		"base64":            base64.StdEncoding.EncodeToString([]byte(v)),
		"base64url":         base64.URLEncoding.EncodeToString([]byte(v)),
		"base64url, no pad": base64.RawURLEncoding.EncodeToString([]byte(v)),
	}
}

// leakResult is what a row's failure path produced.
type leakResult struct {
	err     error    // what the caller got; nil only where failing is not the point
	texts   []string // anything else the caller sees: a Status, what a server received
	reached int64    // requests that reached a host they were not addressed to
}

// leakCase is one row: run drives the failure path, logging to l.
type leakCase struct {
	name    string
	wantErr bool
	run     func(t *testing.T, l *slog.Logger) leakResult
}

func TestLeakMatrix(t *testing.T) {
	var cases []leakCase
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		cases = append(cases, credentialRedirects(status)...)
		cases = append(cases, apiRedirects(status)...)
	}
	cases = append(cases, echoes()...)
	cases = append(cases, destinations()...)
	cases = append(cases, sharedMemory()...)
	cases = append(cases, configURLs()...)
	cases = append(cases, transportErrors()...)
	cases = append(cases, refreshErrors()...)
	forms := leakForms()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			l := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			res := c.run(t, l)
			if c.wantErr && res.err == nil {
				t.Fatal("the failure path did not fail")
			}
			if res.reached != 0 {
				t.Errorf("%d requests reached a host they were not addressed to; want 0", res.reached)
			}
			seen := map[string]string{"error": describeErr(res.err), "logs": logs.String(), "texts": strings.Join(res.texts, "\n")}
			for where, text := range seen {
				for _, f := range forms {
					if strings.Contains(text, f) {
						t.Errorf("the %s hold the canary form %q: %s", where, f, text)
						break
					}
				}
			}
		})
	}
}

// describeErr renders err every way a caller might: each error of its
// chain (both ways of unwrapping), with every fmt verb, json.Marshal, and
// the fields of the SDK's error types.
func describeErr(err error) string {
	var b strings.Builder
	for e := err; e != nil; e = errors.Unwrap(e) {
		j, _ := json.Marshal(e)
		fmt.Fprintf(&b, "%s\n%v\n%+v\n%#v\n%q\n%x\n%s\n", e.Error(), e, e, e, e, e, j)
		if joined, ok := e.(interface{ Unwrap() []error }); ok {
			for _, je := range joined.Unwrap() {
				b.WriteString(describeErr(je))
			}
		}
	}
	var ae *bearer.APIError
	if errors.As(err, &ae) {
		fmt.Fprintf(&b, "%s %s %s %s %s %s %v\n", ae.URL, ae.Code, ae.Message, ae.URI, ae.RequestID, ae.Body, ae.Challenges)
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		fmt.Fprintf(&b, "%s %s %s %s %s\n", oe.Endpoint, oe.Code, oe.Description, oe.URI, oe.Body)
	}
	var pe *login.PermissionError
	if errors.As(err, &pe) {
		fmt.Fprintf(&b, "%s %s %s\n", pe.Response.URL, pe.Response.Message, pe.Response.Body)
	}
	return b.String()
}

// elsewhere starts another host (another loopback port is another host)
// that counts the requests reaching it.
func elsewhere(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, `{"payload":"stolen-token","access_token":"stolen-token"}`)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

// redirecting starts a server that answers every request with status and
// a Location on target.
func redirecting(t *testing.T, status int, target string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Location", target)
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func leakCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

func basicClient() oauth.ClientAuth {
	return oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: leakClientID, Secret: secret.New(leakSecret)}
}

func loginRequest() (login.Request, login.Credentials) {
	return login.Request{Path: "/login"}, login.Credentials{Username: "alice", Password: secret.New(leakPassword)}
}

// credentialRedirects: a request that carries credentials is redirected
// to another host; it must not follow.
func credentialRedirects(status int) []leakCase {
	s := strconv.Itoa(status)
	return []leakCase{
		{"token endpoint redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/token")
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: basicClient(),
				Settings: oauth.Settings{Logger: l}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cc.Token(leakCtx(t))
			return leakResult{err: err, reached: n.Load()}
		}},
		{"revocation redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/revoke")
			rv, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: srv.URL + "/revoke", Client: basicClient(), Settings: oauth.Settings{Logger: l}})
			if err != nil {
				t.Fatal(err)
			}
			err = rv.Revoke(leakCtx(t), leakToken, oauth.HintRefreshToken)
			return leakResult{err: err, reached: n.Load()}
		}},
		{"introspection redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/introspect")
			in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: srv.URL + "/introspect", Client: basicClient(),
				Settings: oauth.Settings{Logger: l}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = in.Introspect(leakCtx(t), leakToken, oauth.HintAccessToken)
			return leakResult{err: err, reached: n.Load()}
		}},
		{"Charon rotation redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/charon/tokens/x")
			obs, next := eventWaiter(t, tokenrefresh.Failed, tokenrefresh.Lost, tokenrefresh.Refreshed)
			c, err := c2.New(leakCtx(t), srv.URL, leakCharon, c2.WithLogger(l), c2.WithObserver(obs))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			e := next("no rotation attempt ended")
			if e.Kind == tokenrefresh.Refreshed {
				t.Error("the redirect's answer was adopted as the new token")
			}
			tok, err := c.Token(leakCtx(t))
			if err == nil && tok.AccessToken != leakCharon {
				t.Errorf("the token was replaced by %q", tok.AccessToken)
			}
			st := c.Status()
			return leakResult{err: e.Err, texts: []string{st.LastError}, reached: n.Load()}
		}},
		{"session login redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/login")
			req, creds := loginRequest()
			c, err := login.NewSessionClient(srv.URL, login.SessionConfig{Login: req, Credentials: creds}, login.WithLogger(l))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return leakResult{err: c.Login(leakCtx(t)), reached: n.Load()}
		}},
		{"session login redirected to plain http on a name " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			// Not followed, so never resolved nor dialled.
			srv := redirecting(t, status, "http://collector.example:8080/login")
			req, creds := loginRequest()
			c, err := login.NewSessionClient(srv.URL, login.SessionConfig{Login: req, Credentials: creds}, login.WithLogger(l))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			err = c.Login(leakCtx(t))
			var re *bearer.RedirectError
			if !errors.As(err, &re) || re.Target != "http://collector.example:8080" {
				t.Errorf("Login = %v; want a RedirectError naming http://collector.example:8080", err)
			}
			return leakResult{err: err}
		}},
		{"token login redirected " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/login")
			req, creds := loginRequest()
			clk := fakeclock.New(time.Now())
			c, err := login.NewTokenClient(leakCtx(t), srv.URL, login.TokenConfig{Login: req, Credentials: creds},
				login.WithLogger(l), login.WithClock(clk))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if status == http.StatusPermanentRedirect || status == http.StatusMovedPermanently {
				err = c.Login(leakCtx(t)) // permanent: the Refresher stops, and says why
			} else if _, err = clk.AwaitTimer(leakCtx(t), func(time.Time) bool { return true }); err != nil {
				// A 302 or 307 may pass: the Refresher plans a retry.
				t.Fatal(err)
			}
			st := c.Refresher().Status()
			if st.LastError == "" {
				t.Error("Status().LastError is empty after a failed login")
			}
			return leakResult{err: errors.Join(err, errors.New(st.LastError)), texts: []string{st.LastError}, reached: n.Load()}
		}},
	}
}

// apiRedirects: an API request is redirected; it follows only to the same
// scheme and host, without a Referer, and never takes a body elsewhere.
func apiRedirects(status int) []leakCase {
	s := strconv.Itoa(status)
	return []leakCase{
		{"API request with secrets in its query redirected to another host " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/x")
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			err := c.Get(leakCtx(t), "/x?access_token="+url.QueryEscape(leakToken)+"&api-key="+leakQuery, nil)
			var re *bearer.RedirectError
			if !errors.As(err, &re) {
				t.Errorf("Get = %v; want a RedirectError", err)
			}
			return leakResult{err: err, reached: n.Load()}
		}},
		{"API POST redirected to another host through Client " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/upload")
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			err := c.Post(leakCtx(t), "/upload", map[string]string{"secret": leakQuery}, nil)
			return leakResult{err: err, reached: n.Load()}
		}},
		{"API POST redirected to another host through Transport " + s, true, func(t *testing.T, l *slog.Logger) leakResult {
			other, n := elsewhere(t)
			srv := redirecting(t, status, other.URL+"/upload")
			hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken(leakToken), Logger: l}}
			resp, err := hc.Post(srv.URL+"/upload?api-key="+leakQuery, "text/plain", strings.NewReader(leakQuery))
			if err == nil {
				resp.Body.Close()
			}
			return leakResult{err: err, reached: n.Load()}
		}},
		{"API redirect on the same host carries no Referer " + s, false, func(t *testing.T, l *slog.Logger) leakResult {
			var mu sync.Mutex
			var seen []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("Referer"))
				mu.Unlock()
				if r.URL.Path == "/from" {
					http.Redirect(w, r, "/to", status)
					return
				}
				io.WriteString(w, "{}")
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			err := c.Get(leakCtx(t), "/from?access_token="+url.QueryEscape(leakToken)+"&api-key="+leakQuery, nil)
			hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken(leakToken)}}
			if resp, err := hc.Get(srv.URL + "/from?api-key=" + leakQuery); err == nil {
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != 4 {
				t.Errorf("the server saw %d requests; want 4 (two followed redirects)", len(seen))
			}
			return leakResult{err: err, texts: seen}
		}},
	}
}

// echoes: servers that quote what they received in their answers.
func echoes() []leakCase {
	return []leakCase{
		{"API 401 echoing the token in the body, a challenge and a header", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.Header().Set("WWW-Authenticate", `Basic realm="x", Bearer error="invalid_token", error_description="bad `+tok+`"`)
				w.Header().Set("X-Request-Id", tok)
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"error":%q,"error_description":"token %s rejected"}`, tok, tok)
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			return leakResult{err: c.Put(leakCtx(t), "/charon/tokens/"+url.PathEscape(leakToken), nil, nil)}
		}},
		{`API echoing the token JSON-escaped (\u0026 and \/)`, true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				j, _ := json.Marshal(tok) // & as \u0026
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"detail":%s,"php":"%s"}`, j, strings.ReplaceAll(string(j[1:len(j)-1]), "/", `\/`))
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			return leakResult{err: c.Get(leakCtx(t), "/x", nil)}
		}},
		{"API echoing the token just past the cut-off", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, strings.Repeat("x", bearer.MaxErrorBody-10)+tok+" and more")
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l), bearer.WithRetryMax(0))
			return leakResult{err: c.Get(leakCtx(t), "/x", nil)}
		}},
		{"secret query names in the URL", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.NotFoundHandler())
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			q := url.Values{}
			for _, k := range []string{"api-key", "auth", "jwt", "X-Amz-Signature", "X-Amz-Credential", "X-Goog-Signature",
				"sessionid", "private_key", "pw", "passwd", "credentials"} {
				q.Set(k, leakQuery)
			}
			return leakResult{err: c.Get(leakCtx(t), "/x?"+q.Encode(), nil)}
		}},
		{"token endpoint answering 200 with a form-encoded body", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
				io.WriteString(w, url.Values{"access_token": {leakToken}, "refresh_token": {leakQuery}, "token_type": {"bearer"}}.Encode())
			}))
			t.Cleanup(srv.Close)
			cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: basicClient(),
				Settings: oauth.Settings{Logger: l}})
			if err != nil {
				t.Fatal(err)
			}
			_, tokErr := cc.Token(leakCtx(t))
			clk := fakeclock.New(time.Now())
			r, err := oauth.NewRefresher(leakCtx(t), cc, tokenrefresh.Config{Clock: clk, Logger: l})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := clk.AwaitTimer(leakCtx(t), func(time.Time) bool { return true }); err != nil {
				t.Fatal(err)
			}
			return leakResult{err: tokErr, texts: []string{r.Status().LastError}}
		}},
		{"token endpoint echoing the Basic header in error_description", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad header %s"}`, r.Header.Get("Authorization"))
			}))
			t.Cleanup(srv.Close)
			return leakResult{err: ccToken(t, oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: basicClient(),
				Settings: oauth.Settings{Logger: l}})}
		}},
		{"token endpoint echoing the secret JSON-escaped, just past the cut-off", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				j, _ := json.Marshal(r.PostForm.Get("client_secret"))
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `{"error":"invalid_client","error_description":"%s","pad":"%s %s"}`,
					j[1:len(j)-1], strings.Repeat("x", oauth.MaxErrorBody-90), j[1:len(j)-1])
			}))
			t.Cleanup(srv.Close)
			return leakResult{err: ccToken(t, oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token",
				Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: leakClientID, Secret: secret.New(leakSecret)},
				Settings: oauth.Settings{Logger: l}})}
		}},
		{"token endpoint echoing the secret in every encoding, in bodies of every kind", true, func(t *testing.T, l *slog.Logger) leakResult {
			var errs []error
			for name, enc := range leakEncodings(leakSecret) {
				for _, body := range []struct{ contentType, text string }{
					{"text/plain", "invalid client secret " + enc},
					{"application/x-www-form-urlencoded", "error=invalid_client&error_description=" + enc},
					{"text/html", "<html><title>bad secret " + enc + "</title><p>" + enc + "</p></html>"},
					{"application/json", `{"error":"invalid_client","error_description":"` + enc + `"`}, // not JSON
					{"application/json", `{"error":"invalid_client","error_description":"` + enc + `","pad":"` + strings.Repeat("x", oauth.MaxErrorBody) + `"}`},
					{"application/json", `{"error":"invalid_client","pad":"` + strings.Repeat("x", oauth.MaxErrorBody-len(enc)/2-40) + `","echo":"` + enc + `"}`},
				} {
					srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						w.Header().Set("Content-Type", body.contentType)
						w.Header().Set("WWW-Authenticate", `Basic realm="`+enc+`", Bearer error_uri="https://as.example/e?s=`+enc+`"`)
						w.WriteHeader(http.StatusBadRequest)
						io.WriteString(w, body.text)
					}))
					cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token",
						Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: leakClientID, Secret: secret.New(leakSecret)},
						Settings: oauth.Settings{Logger: l}})
					if err != nil {
						t.Fatal(err)
					}
					_, err = cc.Token(leakCtx(t))
					srv.Close()
					if err == nil {
						t.Fatalf("%s echo as %s: no error", name, body.contentType)
					}
					errs = append(errs, err)
				}
			}
			return leakResult{err: errors.Join(errs...)}
		}},
		{"token endpoint and login API answering 200 with a token in a shape they do not read", true, func(t *testing.T, l *slog.Logger) leakResult {
			var errs []error
			for _, body := range []struct{ contentType, text string }{
				{"text/plain", "access_token: " + leakToken + "\nrefresh_token: " + leakQuery},
				{"application/javascript", `cb({"access_token":"` + leakToken + `","refresh_token":"` + leakQuery + `"})`},
				{"text/html", `<html><title>{"access_token":"` + leakToken + `", "refreshToken": "` + leakQuery + `"}</title></html>`},
			} {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", body.contentType)
					io.WriteString(w, body.text)
				}))
				cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: basicClient(),
					Settings: oauth.Settings{Logger: l}})
				if err != nil {
					t.Fatal(err)
				}
				_, ccErr := cc.Token(leakCtx(t))
				req, creds := loginRequest()
				c, err := login.NewTokenClient(leakCtx(t), srv.URL, login.TokenConfig{Login: req, Credentials: creds}, login.WithLogger(l))
				if err != nil {
					t.Fatal(err)
				}
				loginErr := c.Login(leakCtx(t))
				c.Close()
				srv.Close()
				if ccErr == nil || loginErr == nil {
					t.Fatalf("a %s answer: Token = %v, Login = %v; want both to fail", body.contentType, ccErr, loginErr)
				}
				errs = append(errs, ccErr, loginErr)
			}
			return leakResult{err: errors.Join(errs...)}
		}},
		{"token endpoint echoing a secret the caller added to Params", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, "bad subject_token %s, api key %s", r.PostForm.Get("subject_token"), leakEncodings(r.PostForm.Get("x-api-key"))["lower-case hex"])
			}))
			t.Cleanup(srv.Close)
			return leakResult{err: ccToken(t, oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: basicClient(),
				Params:   url.Values{"subject_token": {leakToken}, "x-api-key": {leakQuery}},
				Settings: oauth.Settings{Logger: l}})}
		}},
		{"login endpoint echoing the password", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				w.Header().Set("WWW-Authenticate", `Basic realm="Password incorrect"`)
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, "Verification failed for password %s", r.PostForm.Get("password"))
			}))
			t.Cleanup(srv.Close)
			req, creds := loginRequest()
			c, err := login.NewSessionClient(srv.URL, login.SessionConfig{Login: req, Credentials: creds},
				login.WithLogger(l), login.WithBearerOptions(bearer.WithLogger(l)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return leakResult{err: c.Get(leakCtx(t), "/get-info", nil)}
		}},
	}
}

// destinations: plain http whose address may not be this machine's.
func destinations() []leakCase {
	return []leakCase{
		{"*.localhost through a transport of the caller's", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv, n := elsewhere(t)
			host := strings.Replace(srv.URL, "127.0.0.1", "app.localhost", 1)
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String()) // what a rebinding resolver would do
			}}}
			_, err := bearer.NewClient(host, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithHTTPClient(hc), bearer.WithLogger(l))
			tr := &bearer.Transport{Source: bearer.StaticToken(leakToken), Base: hc.Transport, Logger: l}
			req, _ := http.NewRequest("GET", host+"/x?api-key="+leakQuery, nil)
			_, rtErr := tr.RoundTrip(req)
			return leakResult{err: errors.Join(err, rtErr), reached: n.Load()}
		}},
		{"*.localhost resolving to another machine", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv, n := elsewhere(t)
			// 192.0.2.1 is TEST-NET-1: the connection is refused before it
			// is opened, so nothing is sent anywhere.
			tr := httpx.NewTransportResolving(httpx.TransportOptions{}, func(context.Context, string) ([]netip.Addr, error) {
				return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
			})
			defer tr.CloseIdleConnections()
			host := strings.Replace(srv.URL, "127.0.0.1", "api.localhost", 1)
			c := newClient(t, host, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithHTTPClient(&http.Client{Transport: tr}),
				bearer.WithLogger(l))
			err := c.Get(leakCtx(t), "/x?api-key="+leakQuery, nil)
			if !strings.Contains(fmt.Sprint(err), "192.0.2.1, which is not a loopback address") {
				t.Errorf("Get = %v; want a refusal naming the address", err)
			}
			return leakResult{err: err, reached: n.Load()}
		}},
	}
}

// sharedMemory: a caller that writes into what a request shares.
func sharedMemory() []leakCase {
	return []leakCase{
		{"a caller's edit of resp.Request's Authorization reaches no later request", false, func(t *testing.T, l *slog.Logger) leakResult {
			var mu sync.Mutex
			var seen []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				seen = append(seen, r.Header.Get("Authorization"))
				mu.Unlock()
				io.WriteString(w, "{}")
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken("plain-token")), bearer.WithLogger(l))
			hc := &http.Client{Transport: &bearer.Transport{Source: bearer.StaticToken("plain-token")}}
			for range 2 {
				req, _ := c.NewRequest(leakCtx(t), "GET", "/x", nil)
				if resp, err := c.Do(req, nil); err == nil {
					resp.Request.Header["Authorization"][0] = leakQuery
				}
				if resp, err := hc.Get(srv.URL + "/x"); err == nil {
					resp.Body.Close()
					resp.Request.Header["Authorization"][0] = leakQuery
				}
			}
			mu.Lock()
			defer mu.Unlock()
			return leakResult{texts: seen}
		}},
	}
}

// configURLs: a URL given in a configuration, refused before anything is
// sent; the message names it without its credentials.
func configURLs() []leakCase {
	bad := []string{
		"ftp://alice:" + url.QueryEscape(leakPassword) + "@api.example/?api-key=" + leakQuery,
		"https://alice:" + url.QueryEscape(leakPassword) + "@api.example:port/",
		"alice:" + url.QueryEscape(leakPassword) + "@api.example:8443",
		"api.example/v1?api-key=" + leakQuery,
		"https://api.example/%zz?access_token=" + url.QueryEscape(leakToken),
	}
	return []leakCase{
		{"base URLs that are not http URLs, with credentials", true, func(t *testing.T, l *slog.Logger) leakResult {
			var errs []error
			for _, u := range bad {
				_, err := bearer.NewClient(u, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
				_, ceErr := climateengine.NewClient(leakCtx(t), climateengine.Credentials{Email: "a@example.com", Password: secret.New(leakPassword)},
					climateengine.WithAPIURL(u), climateengine.WithLogger(l))
				if err == nil || ceErr == nil {
					t.Errorf("NewClient(%q) = %v, climateengine %v; want both refused", u, err, ceErr)
				}
				errs = append(errs, err, ceErr)
			}
			return leakResult{err: errors.Join(errs...)}
		}},
		{"a request path that does not parse, with a token in its query", true, func(t *testing.T, l *slog.Logger) leakResult {
			c := newClient(t, "https://api.example", bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			_, err := c.NewRequest(leakCtx(t), "GET", "/x%zz?api-key="+leakQuery+"&t="+url.QueryEscape(leakToken), nil)
			return leakResult{err: err}
		}},
	}
}

// echoingTransport fails every request with an error that quotes it: its
// URL and its Authorization header, as a proxy or a caller's middleware
// may.
type echoingTransport struct{}

func (echoingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused %s with %s", r.URL, r.Header.Get("Authorization"))
}

// transportErrors: a transport's error quotes the request. No error of
// the chain a caller can walk with errors.Unwrap may hold a secret.
func transportErrors() []leakCase {
	hc := &http.Client{Transport: echoingTransport{}}
	return []leakCase{
		{"API request through a transport that quotes it", true, func(t *testing.T, l *slog.Logger) leakResult {
			c := newClient(t, "https://api.example", bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithHTTPClient(hc),
				bearer.WithRetryMax(0), bearer.WithLogger(l))
			return leakResult{err: c.Get(leakCtx(t), "/x?api-key="+leakQuery, nil)}
		}},
		{"token request through a transport that quotes it", true, func(t *testing.T, l *slog.Logger) leakResult {
			return leakResult{err: ccToken(t, oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token?api-key=" + leakQuery,
				Client: basicClient(), Settings: oauth.Settings{HTTPClient: hc, Logger: l}})}
		}},
		{"API echoing a secret query value in its error body", true, func(t *testing.T, l *slog.Logger) leakResult {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprintf(w, "key %s is not allowed (%s)", r.URL.Query().Get("api-key"), strings.ToLower(url.QueryEscape(r.URL.Query().Get("sig"))))
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, srv.URL, bearer.WithTokenSource(bearer.StaticToken(leakToken)), bearer.WithLogger(l))
			return leakResult{err: c.Get(leakCtx(t), "/x?api-key="+leakQuery+"&sig="+url.QueryEscape(leakSecret), nil)}
		}},
	}
}

// refreshErrors: a RefreshFunc of the caller's whose error quotes the
// token it was given, encoded. The Refresher knows the token: no event,
// status, log line, nor any error of an event's chain may hold it.
func refreshErrors() []leakCase {
	return []leakCase{
		{"a Refresh whose error quotes the token, encoded", true, func(t *testing.T, l *slog.Logger) leakResult {
			clk := fakeclock.New(time.Now())
			obs, next := eventWaiter(t, tokenrefresh.Failed)
			// An expired token with a live refresh token: the first
			// refresh starts at once.
			initial := &oauth2.Token{AccessToken: leakToken, RefreshToken: leakSecret, Expiry: clk.Now().Add(-time.Minute)}
			r, err := tokenrefresh.New(leakCtx(t), tokenrefresh.Config{Clock: clk, Logger: l, Initial: secret.New(initial),
				Refresh: func(_ context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
					enc := leakEncodings(cur.RefreshToken)
					return nil, fmt.Errorf("refresh %s refused: %s, %s", enc[`JSON \u002f`], enc["lower-case hex"], enc["HTML"])
				},
				Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			e := next("no refresh failed")
			ev, _ := json.Marshal(e)
			return leakResult{err: e.Err, texts: []string{r.Status().LastError, fmt.Sprintf("%v %+v %s", e, e, ev)}}
		}},
	}
}

// eventWaiter returns an Observer that passes on the events of kinds (a
// few; the rest are dropped), and a function that waits for the next of
// them, failing the test with why if none comes in time.
func eventWaiter(t *testing.T, kinds ...tokenrefresh.EventKind) (tokenrefresh.Observer, func(why string) tokenrefresh.Event) {
	events := make(chan tokenrefresh.Event, 16)
	obs := tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
		if slices.Contains(kinds, e.Kind) {
			select {
			case events <- e:
			default:
			}
		}
	})
	return obs, func(why string) tokenrefresh.Event {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-leakCtx(t).Done():
			t.Fatal(why)
		}
		return tokenrefresh.Event{}
	}
}

// ccToken asks for a token with the client credentials grant of cfg, and
// returns the error it ends with.
func ccToken(t *testing.T, cfg oauth.ClientCredentialsConfig) error {
	t.Helper()
	cc, err := oauth.NewClientCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cc.Token(leakCtx(t))
	return err
}
