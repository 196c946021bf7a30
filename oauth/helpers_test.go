package oauth_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
)

// epoch is the tests' "now": the seed's first token (iat 1665079177),
// years in the past, so anything read from the wall clock shows.
var epoch = time.Unix(1665079177, 0)

// waitLimit bounds every wait on a goroutine so a broken test fails
// instead of hanging.
const waitLimit = 10 * time.Second

func fixedNow() time.Time { return epoch }

// recorded is one request a tokenServer received.
type recorded struct {
	method string
	header http.Header
	body   string
	form   url.Values
}

// tokenServer records token requests and answers them with answer.
type tokenServer struct {
	*httptest.Server
	mu     sync.Mutex // guards reqs, answer
	reqs   []recorded
	answer http.HandlerFunc
}

// newTokenServer starts a server that answers every request with status
// and body as JSON (or as given when body does not look like JSON).
func newTokenServer(t *testing.T, status int, body string) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.setAnswer(status, body)
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		r.Body = io.NopCloser(bytes.NewReader(raw)) // the answer may read it too
		ts.mu.Lock()
		ts.reqs = append(ts.reqs, recorded{method: r.Method, header: r.Header.Clone(), body: string(raw), form: form})
		answer := ts.answer
		ts.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) setAnswer(status int, body string) {
	ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
		if len(body) > 0 && (body[0] == '{' || body[0] == '[') {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	})
}

func (ts *tokenServer) setHandler(h http.HandlerFunc) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.answer = h
}

// requests returns what the server received so far.
func (ts *tokenServer) requests() []recorded {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]recorded(nil), ts.reqs...)
}

// last returns the last request, failing the test if there was none.
func (ts *tokenServer) last(t *testing.T) recorded {
	t.Helper()
	reqs := ts.requests()
	if len(reqs) == 0 {
		t.Fatal("the token server received no request")
	}
	return reqs[len(reqs)-1]
}

const okToken = `{"access_token":"at-1","token_type":"bearer","expires_in":900}`

// fixture is a oauthtest server with one user and one client.
type fixture struct {
	srv    *oauthtest.Server
	auth   *httptest.Server
	user   oauthtest.User
	client oauthtest.Client
}

const (
	testEmail    = "bennett@example.com"
	testPassword = "hunter2-correct-horse"
)

func setupFake(t *testing.T, now func() time.Time) *fixture {
	t.Helper()
	srv, err := oauthtest.New(oauthtest.Config{Key: testkeys.RSA(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{srv: srv, user: srv.AddUser(testEmail, testPassword)}
	if f.client, err = srv.AddClient(oauthtest.Client{UserID: f.user.ID}); err != nil {
		t.Fatal(err)
	}
	f.auth = httptest.NewServer(srv)
	t.Cleanup(f.auth.Close)
	return f
}

// setupFakeIssuer is setupFake with the fake's issuer set to its own URL,
// as a real server's is, so that its metadata, iss and ID tokens name
// where it is served.
func setupFakeIssuer(t *testing.T, now func() time.Time) *fixture {
	t.Helper()
	srv, ts := oauthtest.Start(t, oauthtest.Config{Key: testkeys.RSA(), Now: now})
	f := &fixture{srv: srv, auth: ts, user: srv.AddUser(testEmail, testPassword)}
	var err error
	if f.client, err = srv.AddClient(oauthtest.Client{UserID: f.user.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) tokenURL() string { return f.auth.URL + oauthtest.TokenPath }

// me calls users/me with access and returns the status.
func (f *fixture) me(t *testing.T, access string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.auth.URL+oauthtest.UsersMePath, nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// bounded returns a context that ends after waitLimit.
func bounded(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// clientCredentials builds a source against url with auth, on fixedNow.
func clientCredentials(t *testing.T, tokenURL string, auth oauth.ClientAuth) *oauth.ClientCredentials {
	t.Helper()
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: tokenURL, Client: auth, Settings: oauth.Settings{Now: fixedNow},
	})
	if err != nil {
		t.Fatalf("NewClientCredentials: %v", err)
	}
	return cc
}

// basicAuth is a client_secret_basic client for servers that do not check it.
func basicAuth() oauth.ClientAuth {
	return oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "client-1", Secret: secret.New("client-secret-1")}
}
