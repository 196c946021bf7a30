package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
)

// jawbone is a token endpoint as seed 003's Jawbone had it: GET with the
// parameters in the query (client_id and client_secret among them), over
// https, answering the token as JSON with a one-year expires_in.
type jawbone struct {
	*httptest.Server
	mu    sync.Mutex // guards query
	query url.Values
}

func newJawbone(t *testing.T) *jawbone {
	t.Helper()
	j := &jawbone{}
	j.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.ContentLength > 0 {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		j.mu.Lock()
		j.query = q
		j.mu.Unlock()
		if q.Get("client_secret") != "efaedc99a6bc5fb40f4be3b8fb97c6b94a7eec58" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "aV1SI82x", "expires_in": 31536000,
			"refresh_token": "gkGL9Tjx-" + q.Get("grant_type"), "token_type": "Bearer"})
	}))
	t.Cleanup(j.Close)
	return j
}

func TestTokenRequestGETForServersThatTakeNothingElse(t *testing.T) {
	j := newJawbone(t)
	client := oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "F3rPnz_fTUY", Secret: secret.New("efaedc99a6bc5fb40f4be3b8fb97c6b94a7eec58")}
	rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: j.URL + "/auth/oauth2/token", Client: client,
		RefreshToken: secret.New("r0"), Settings: oauth.Settings{Now: fixedNow, HTTPClient: j.Client(), TokenRequestGET: true}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := rt.Refresh(bounded(t), nil)
	if err != nil {
		t.Fatalf("Refresh() = %v", err)
	}
	if tok.AccessToken != "aV1SI82x" || !tok.Expiry.Equal(epoch.Add(31536000*time.Second)) {
		t.Errorf("token = %+v; want Jawbone's year-long token", tok)
	}
	j.mu.Lock()
	q := j.query
	j.mu.Unlock()
	if q.Get("grant_type") != "refresh_token" || q.Get("refresh_token") != "r0" || q.Get("client_id") != "F3rPnz_fTUY" {
		t.Errorf("query = %v; want the grant's parameters", q)
	}

	// Without the opt-in the request is a POST, which this server refuses.
	rt, _ = oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: j.URL, Client: client, RefreshToken: secret.New("r0"),
		Settings: oauth.Settings{HTTPClient: j.Client()}})
	if _, err := rt.Refresh(bounded(t), nil); err == nil || !strings.Contains(err.Error(), "405") {
		t.Errorf("Refresh() as a POST = %v; want the server's 405", err)
	}
}

func TestTokenRequestGETKeepsSecretsOutOfErrors(t *testing.T) {
	j := newJawbone(t)
	const wrong = "wrong-secret-canary-123"
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: j.URL + "/token",
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "F3rPnz_fTUY", Secret: secret.New(wrong)},
		Settings: oauth.Settings{HTTPClient: j.Client(), TokenRequestGET: true}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cc.Token(bounded(t))
	if err == nil || strings.Contains(describeError(err), wrong) {
		t.Errorf("Token() = %v; want an error without the secret", err)
	}
	j.Close() // a transport error names the URL without its query
	_, err = cc.Token(bounded(t))
	if err == nil || strings.Contains(describeError(err), wrong) || strings.Contains(err.Error(), "?") {
		t.Errorf("Token() against a closed server = %v; want an error without the query", err)
	}
}

func TestTokenRequestGETNeedsHTTPS(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:9/token", "http://localhost/token"} {
		_, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: u, Client: basicAuth(),
			Settings: oauth.Settings{TokenRequestGET: true}})
		if err == nil || !strings.Contains(err.Error(), "must be https") {
			t.Errorf("TokenRequestGET with %s = %v; want it refused", u, err)
		}
	}
}
