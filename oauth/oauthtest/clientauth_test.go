package oauthtest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestClientCredentialsEachMethod(t *testing.T) {
	f := setup(t)
	c := f.client
	cc := url.Values{"grant_type": {"client_credentials"}}
	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret.Reveal()}}
	tests := []struct {
		method oauthtest.AuthMethod
		form   func() url.Values
		mod    func(*http.Request)
	}{
		{oauthtest.ClientSecretBasic, func() url.Values { return cc }, basic(c.ClientID, c.ClientSecret.Reveal())},
		{oauthtest.ClientSecretPost, func() url.Values { return post }, nil},
		{oauthtest.ClientSecretJWT, func() url.Values { return assertionForm(sign(t, f.assertionClaims(c), c.ClientSecret.Reveal())) }, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			tok := mustToken(t, f.auth.URL, tt.form(), tt.mod)
			me := withToken(t, http.MethodGet, f.auth.URL+oauthtest.UsersMePath, tok.AccessToken, nil)
			if got, _ := me.json(t)["id"].(string); me.status != http.StatusOK || got != f.user.ID {
				t.Errorf("users/me with a %s token = %d %s; want 200 with id %s", tt.method, me.status, me.body, f.user.ID)
			}
		})
	}
	st := f.srv.Stats()
	for _, tt := range tests {
		if st.AuthMethods[tt.method] != 1 {
			t.Errorf("Stats().AuthMethods[%s] = %d; want 1", tt.method, st.AuthMethods[tt.method])
		}
	}
	if st.TokenCalls["client_credentials"] != 3 || st.TokensIssued != 3 {
		t.Errorf("Stats() = %+v; want 3 client_credentials calls and 3 tokens", st)
	}
}

func TestClientCredentialsRejects(t *testing.T) {
	f := setup(t)
	c := f.client
	// with returns a copy of base with the pairs kv set.
	with := func(base url.Values, kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	cc := url.Values{"grant_type": {"client_credentials"}}
	form := func(kv ...string) url.Values { return with(cc, kv...) }
	jwtForm := assertionForm(sign(t, f.assertionClaims(c), c.ClientSecret.Reveal()))
	tests := []struct {
		name      string
		form      url.Values
		mod       func(*http.Request)
		status    int
		code      string
		challenge bool // WWW-Authenticate: Basic expected
	}{
		{"basic, wrong secret", form(), basic(c.ClientID, "wrong"), 401, "invalid_client", true},
		{"basic, unknown id", form(), basic("nobody", c.ClientSecret.Reveal()), 401, "invalid_client", true},
		{"basic, client_id in body differs", form("client_id", "other"), basic(c.ClientID, c.ClientSecret.Reveal()), 400, "invalid_request", false},
		{"post, wrong secret", form("client_id", c.ClientID, "client_secret", "wrong"), nil, 401, "invalid_client", false},
		{"post, unknown id", form("client_id", "nobody", "client_secret", c.ClientSecret.Reveal()), nil, 401, "invalid_client", false},
		{"post, no client_id", form("client_secret", c.ClientSecret.Reveal()), nil, 400, "invalid_request", false},
		{"no client authentication", form("client_id", c.ClientID), nil, 401, "invalid_client", true},
		{"basic and post", form("client_id", c.ClientID, "client_secret", c.ClientSecret.Reveal()), basic(c.ClientID, c.ClientSecret.Reveal()), 400, "invalid_request", false},
		{"post and jwt", with(jwtForm, "client_id", c.ClientID, "client_secret", c.ClientSecret.Reveal()), nil, 400, "invalid_request", false},
		{"basic and jwt", jwtForm, basic(c.ClientID, c.ClientSecret.Reveal()), 400, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := postForm(t, f.auth.URL, tt.form, tt.mod)
			wantError(t, a, tt.status, "error", tt.code)
			if got := a.header.Get("WWW-Authenticate"); strings.HasPrefix(got, "Basic ") != tt.challenge {
				t.Errorf("WWW-Authenticate = %q; want a Basic challenge: %v", got, tt.challenge)
			}
		})
	}
	if st := f.srv.Stats(); st.TokensIssued != 0 || st.Unauthorized != 5 {
		t.Errorf("Stats() = %+v; want no token issued and 5 401s", st)
	}
}

// RFC 6749 section 2.3.1: the client id and secret are form-url-encoded
// before they are joined with ':' and base64-encoded.
func TestBasicAuthDecodesFormURLEncoding(t *testing.T) {
	f := setup(t)
	c, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID, ClientID: "id:with%odd+chars and space", ClientSecret: secret.New("s3:cr%e7+ +x")})
	if err != nil {
		t.Fatal(err)
	}
	cc := url.Values{"grant_type": {"client_credentials"}}
	mustToken(t, f.auth.URL, cc, basic(c.ClientID, c.ClientSecret.Reveal()))

	raw := func(id, secret string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(id, secret) }
	}
	tests := []struct {
		name string
		mod  func(*http.Request)
	}{
		{"id and secret not encoded", raw(c.ClientID, c.ClientSecret.Reveal())},
		{"only the id encoded", raw(url.QueryEscape(c.ClientID), c.ClientSecret.Reveal())},
		{"path escaping, not form escaping", raw(url.PathEscape(c.ClientID), url.PathEscape(c.ClientSecret.Reveal()))},
	}
	for _, tt := range tests {
		a := postForm(t, f.auth.URL, cc, tt.mod)
		wantError(t, a, http.StatusUnauthorized, "error", "invalid_client")
	}
}

// The fake speaks what golang.org/x/oauth2 sends, in both its auth styles,
// with credentials that need encoding.
func TestOAuth2ClientCredentialsInterop(t *testing.T) {
	f := setup(t)
	c, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID, ClientID: "a:b%c+d e", ClientSecret: secret.New("s:%+ ecret")})
	if err != nil {
		t.Fatal(err)
	}
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret.Reveal(),
			TokenURL: f.auth.URL + oauthtest.TokenPath, AuthStyle: style}
		tok, err := cfg.Token(context.Background())
		if err != nil {
			t.Errorf("clientcredentials.Token with style %v: %v", style, err)
			continue
		}
		// oauth2 turns expires_in into an Expiry on the wall clock.
		if left := time.Until(tok.Expiry); tok.TokenType != "bearer" || left < 830*time.Second || left > 840*time.Second {
			t.Errorf("style %v: token type %q, expiry in %v; want bearer, 840s", style, tok.TokenType, left)
		}
	}
	st := f.srv.Stats()
	if st.AuthMethods[oauthtest.ClientSecretBasic] != 1 || st.AuthMethods[oauthtest.ClientSecretPost] != 1 {
		t.Errorf("Stats().AuthMethods = %v; want one basic, one post", st.AuthMethods)
	}
}

func TestClientSecretJWTAudienceForms(t *testing.T) {
	f := setup(t)
	c := f.client
	endpoint := f.auth.URL + oauthtest.TokenPath
	for _, aud := range []any{endpoint, []string{"https://elsewhere.example", endpoint}} {
		claims := f.assertionClaims(c)
		claims["aud"] = aud
		mustToken(t, f.auth.URL, assertionForm(sign(t, claims, c.ClientSecret.Reveal())), nil)
	}
}

func TestClientSecretJWTRejects(t *testing.T) {
	f := setup(t)
	c := f.client
	other, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	tests := []struct {
		name   string
		claims func(jwt.MapClaims)
		key    string
		form   func(url.Values)
		want   string // fragment of error_description
	}{
		{"wrong key", nil, other.ClientSecret.Reveal(), nil, "signature"},
		{"expired on the injected clock", func(m jwt.MapClaims) { m["exp"] = now.Add(-time.Second).Unix() }, "", nil, "expired"},
		{"expires now", func(m jwt.MapClaims) { m["exp"] = now.Unix() }, "", nil, "expired"},
		{"no exp", func(m jwt.MapClaims) { delete(m, "exp") }, "", nil, "exp"},
		{"aud is another URL", func(m jwt.MapClaims) { m["aud"] = "https://auth.climateengine.com" + oauthtest.TokenPath }, "", nil, "aud must include " + f.auth.URL},
		{"aud with https while served over http", func(m jwt.MapClaims) {
			m["aud"] = strings.Replace(f.auth.URL, "http:", "https:", 1) + oauthtest.TokenPath
		}, "", nil, "aud"},
		{"no aud", func(m jwt.MapClaims) { delete(m, "aud") }, "", nil, "aud"},
		{"sub differs from iss", func(m jwt.MapClaims) { m["sub"] = other.ClientID }, "", nil, "sub"},
		{"iss names no client", func(m jwt.MapClaims) { m["iss"], m["sub"] = "nobody", "nobody" }, "", nil, "iss names no client"},
		{"iss is another client", func(m jwt.MapClaims) { m["iss"], m["sub"] = other.ClientID, other.ClientID }, "", nil, "signature"},
		{"no jti", func(m jwt.MapClaims) { delete(m, "jti") }, "", nil, "jti"},
		{"client_id differs from iss", nil, "", func(v url.Values) { v.Set("client_id", other.ClientID) }, "client_id"},
		{"wrong assertion type", nil, "", func(v url.Values) { v.Set("client_assertion_type", "urn:x") }, "client_assertion_type"},
		{"not a JWT", nil, "", func(v url.Values) { v.Set("client_assertion", "not.a.jwt") }, "not a valid JWT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := f.assertionClaims(c)
			if tt.claims != nil {
				tt.claims(claims)
			}
			key := c.ClientSecret.Reveal()
			if tt.key != "" {
				key = tt.key
			}
			form := assertionForm(sign(t, claims, key))
			if tt.form != nil {
				tt.form(form)
			}
			a := postForm(t, f.auth.URL, form, nil)
			wantError(t, a, http.StatusUnauthorized, "error", "invalid_client")
			if desc, _ := a.json(t)["error_description"].(string); !strings.Contains(desc, tt.want) {
				t.Errorf("error_description = %q; want it to mention %q", desc, tt.want)
			}
			if got := a.header.Get("WWW-Authenticate"); got != "" {
				t.Errorf("WWW-Authenticate = %q; want none (the client did not use Basic)", got)
			}
		})
	}
}

func TestClientSecretJWTRejectsHS512AndNone(t *testing.T) {
	f := setup(t)
	claims := f.assertionClaims(f.client)
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString([]byte(f.client.ClientSecret.Reveal()))
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	for name, assertion := range map[string]string{"HS512": hs512, "none": none} {
		a := postForm(t, f.auth.URL, assertionForm(assertion), nil)
		if a.status != http.StatusUnauthorized {
			t.Errorf("assertion signed with %s = %d %s; want 401", name, a.status, a.body)
		}
	}
}

func TestClientSecretJWTReplay(t *testing.T) {
	f := setup(t)
	c := f.client
	claims := f.assertionClaims(c)
	assertion := sign(t, claims, c.ClientSecret.Reveal())
	mustToken(t, f.auth.URL, assertionForm(assertion), nil)

	a := postForm(t, f.auth.URL, assertionForm(assertion), nil)
	wantError(t, a, http.StatusUnauthorized, "error", "invalid_client")

	// A new assertion that reuses the jti is a replay too.
	claims["exp"] = f.clock.Now().Add(2 * time.Minute).Unix()
	a = postForm(t, f.auth.URL, assertionForm(sign(t, claims, c.ClientSecret.Reveal())), nil)
	if desc, _ := a.json(t)["error_description"].(string); a.status != http.StatusUnauthorized || !strings.Contains(desc, "already used") {
		t.Errorf("reused jti = %d %s; want 401 already used", a.status, a.body)
	}

	// The same jti from another client is not a replay.
	other, err := f.srv.AddClient(oauthtest.Client{UserID: f.user.ID})
	if err != nil {
		t.Fatal(err)
	}
	oc := f.assertionClaims(other)
	oc["jti"] = claims["jti"]
	mustToken(t, f.auth.URL, assertionForm(sign(t, oc, other.ClientSecret.Reveal())), nil)
}

// Over TLS the assertion's aud is the https URL of the endpoint.
func TestClientSecretJWTOverTLS(t *testing.T) {
	f := setup(t)
	ts := httptest.NewTLSServer(f.srv)
	t.Cleanup(ts.Close)
	c := f.client
	claims := f.assertionClaims(c)
	claims["aud"] = f.auth.URL + oauthtest.TokenPath // http: wrong here
	req := func(assertion string) answer {
		r, err := http.NewRequest(http.MethodPost, ts.URL+oauthtest.TokenPath, strings.NewReader(assertionForm(assertion).Encode()))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := ts.Client().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return answer{status: resp.StatusCode}
	}
	if a := req(sign(t, claims, c.ClientSecret.Reveal())); a.status != http.StatusUnauthorized {
		t.Errorf("TLS token with an http aud = %d; want 401", a.status)
	}
	claims["aud"] = ts.URL + oauthtest.TokenPath
	claims["jti"] = "fresh"
	if a := req(sign(t, claims, c.ClientSecret.Reveal())); a.status != http.StatusOK {
		t.Errorf("TLS token with the https aud = %d; want 200", a.status)
	}
}
