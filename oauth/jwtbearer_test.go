package oauth_test

import (
	"context"
	"crypto"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
)

func jwtBearer(t *testing.T, cfg oauth.JWTBearerConfig) *oauth.JWTBearer {
	t.Helper()
	cfg.Now = fixedNow
	j, err := oauth.NewJWTBearer(cfg)
	if err != nil {
		t.Fatalf("NewJWTBearer: %v", err)
	}
	return j
}

func TestJWTBearerSignsTheAssertionOfRFC7523(t *testing.T) {
	tests := []struct {
		alg    string
		key    crypto.Signer
		pub    any
		choose string
	}{
		{"RS256", testkeys.RSA(), &testkeys.RSA().PublicKey, ""},
		{"PS256", testkeys.RSA(), &testkeys.RSA().PublicKey, "PS256"},
		{"ES256", testkeys.ECP256(), &testkeys.ECP256().PublicKey, ""},
		{"EdDSA", testkeys.Ed25519(), testkeys.Ed25519().Public(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			ts := newTokenServer(t, 200, okToken)
			j := jwtBearer(t, oauth.JWTBearerConfig{TokenURL: ts.URL + "/token?x=1", Key: secret.NewSigner(tt.key), Algorithm: tt.choose,
				KeyID: "k1", Issuer: "robot-fleet", Subject: "shore-station-7", Scopes: []string{"telemetry"},
				Claims: map[string]any{"tenant": "noc"}, Params: url.Values{"resource": {"https://api.example"}}})
			var jtis []string
			for range 2 {
				if _, err := j.Token(bounded(t)); err != nil {
					t.Fatalf("Token() = %v", err)
				}
				r := ts.last(t)
				if r.form.Get("grant_type") != oauth.JWTBearerGrantType || r.form.Get("scope") != "telemetry" ||
					r.form.Get("resource") != "https://api.example" || r.header.Get("Authorization") != "" || r.form.Has("client_id") {
					t.Errorf("form = %v; want RFC 7523 2.1's grant with scope and resource, no client authentication", r.form)
				}
				claims := jwt.MapClaims{}
				tok, err := jwt.NewParser(jwt.WithValidMethods([]string{tt.alg}), jwt.WithTimeFunc(fixedNow), jwt.WithAudience(ts.URL+"/token"),
					jwt.WithIssuer("robot-fleet"), jwt.WithSubject("shore-station-7"), jwt.WithExpirationRequired(), jwt.WithIssuedAt()).
					ParseWithClaims(r.form.Get("assertion"), claims, func(*jwt.Token) (any, error) { return tt.pub, nil })
				if err != nil {
					t.Fatalf("assertion does not verify: %v", err)
				}
				exp, _ := claims.GetExpirationTime()
				if !exp.Equal(epoch.Add(oauth.AssertionLifetime)) || claims["tenant"] != "noc" || tok.Header["kid"] != "k1" {
					t.Errorf("claims = %v, header %v; want exp in %v, the extra claim and the kid", claims, tok.Header, oauth.AssertionLifetime)
				}
				jtis = append(jtis, claims["jti"].(string))
			}
			if jtis[0] == jtis[1] || len(jtis[0]) < 16 {
				t.Errorf("jti = %q; want a fresh random one per request (RFC 7523 3)", jtis)
			}
		})
	}
}

func TestJWTBearerSendsASuppliedAssertion(t *testing.T) {
	ts := newTokenServer(t, 200, okToken)
	j := jwtBearer(t, oauth.JWTBearerConfig{TokenURL: ts.URL, Assertion: secret.New("header.claims.signature"), Client: basicAuth()})
	if _, err := j.Refresh(bounded(t), nil); err != nil {
		t.Fatal(err)
	}
	if r := ts.last(t); r.form.Get("assertion") != "header.claims.signature" || !strings.HasPrefix(r.header.Get("Authorization"), "Basic ") {
		t.Errorf("request = %v %v; want the assertion as given, with the client's Basic authentication", r.form, r.header)
	}
	n := 0
	j = jwtBearer(t, oauth.JWTBearerConfig{TokenURL: ts.URL, AssertionFunc: func(context.Context) (string, error) {
		n++
		return "fresh-" + string(rune('0'+n)), nil
	}})
	for range 2 {
		if _, err := j.Token(bounded(t)); err != nil {
			t.Fatal(err)
		}
	}
	if got := ts.last(t).form.Get("assertion"); got != "fresh-2" {
		t.Errorf("assertion = %q; want the one AssertionFunc returned for this request", got)
	}
	failing := jwtBearer(t, oauth.JWTBearerConfig{TokenURL: ts.URL, AssertionFunc: func(context.Context) (string, error) {
		return "", errors.New("token file missing")
	}})
	if _, err := failing.Token(bounded(t)); err == nil || !strings.Contains(err.Error(), "token file missing") {
		t.Errorf("Token() with a failing AssertionFunc = %v", err)
	}
}

func TestJWTBearerRefusedAssertionIsPermanent(t *testing.T) {
	ts := newTokenServer(t, 400, `{"error":"invalid_grant","error_description":"assertion expired"}`)
	j := jwtBearer(t, oauth.JWTBearerConfig{TokenURL: ts.URL, Assertion: secret.New("eyJhbGciOi.e30.sig")})
	_, err := j.Token(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrInvalidGrant) || !oe.Permanent() {
		t.Fatalf("Token() = %v; want a permanent invalid_grant", err)
	}
	if strings.Contains(err.Error(), "eyJhbGciOi.e30.sig") {
		t.Error("the error quotes the assertion")
	}
}

func TestJWTBearerValidation(t *testing.T) {
	key := secret.NewSigner(testkeys.ECP256())
	tests := []struct {
		name string
		cfg  oauth.JWTBearerConfig
		want string
	}{
		{"nothing to assert", oauth.JWTBearerConfig{TokenURL: "https://as/t"}, "exactly one of Key"},
		{"two sources", oauth.JWTBearerConfig{TokenURL: "https://as/t", Key: key, Assertion: secret.New("a")}, "exactly one of Key"},
		{"no subject", oauth.JWTBearerConfig{TokenURL: "https://as/t", Key: key, Issuer: "i"}, "set both"},
		{"reserved claim", oauth.JWTBearerConfig{TokenURL: "https://as/t", Key: key, Issuer: "i", Subject: "s", Claims: map[string]any{"exp": 1}}, "must not set exp"},
		{"wrong alg", oauth.JWTBearerConfig{TokenURL: "https://as/t", Key: key, Issuer: "i", Subject: "s", Algorithm: "RS256"}, "does not fit Key"},
		{"claims with a supplied assertion", oauth.JWTBearerConfig{TokenURL: "https://as/t", Assertion: secret.New("a"), Subject: "s"}, "leave them empty"},
		{"reserved param", oauth.JWTBearerConfig{TokenURL: "https://as/t", Assertion: secret.New("a"), Params: url.Values{"assertion": {"x"}}}, "must not set assertion"},
		{"grant not offered", oauth.JWTBearerConfig{Metadata: &oauth.Metadata{Issuer: "https://as", TokenEndpoint: "https://as/t",
			GrantTypesSupported: []string{"client_credentials"}}, Assertion: secret.New("a")}, "does not offer the " + oauth.JWTBearerGrantType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := oauth.NewJWTBearer(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewJWTBearer = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestJWTBearerAgainstFakeauth(t *testing.T) {
	f := setupFake(t, fixedNow)
	f.srv.TrustIssuer("robot-fleet", testkeys.Ed25519().Public())
	f.srv.TrustIssuer("pss-fleet", &testkeys.RSA().PublicKey)
	for _, cfg := range []oauth.JWTBearerConfig{
		{Key: secret.NewSigner(testkeys.Ed25519()), Issuer: "robot-fleet"},
		{Key: secret.NewSigner(testkeys.RSA()), Algorithm: "PS256", Issuer: "pss-fleet"},
	} {
		cfg.TokenURL, cfg.Subject = f.tokenURL(), testEmail
		j := jwtBearer(t, cfg)
		for i := range 2 { // the second proves the fresh jti the fake demands
			tok, err := j.Token(bounded(t))
			if err != nil {
				t.Fatalf("%s: Token() #%d = %v", cfg.Issuer, i+1, err)
			}
			if f.me(t, tok.AccessToken) != 200 {
				t.Errorf("%s: the token does not work", cfg.Issuer)
			}
		}
	}
	j := jwtBearer(t, oauth.JWTBearerConfig{TokenURL: f.tokenURL(), Key: secret.NewSigner(testkeys.ECP256()), Issuer: "robot-fleet", Subject: testEmail})
	if _, err := j.Token(bounded(t)); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("Token() signed with a key the server does not trust = %v; want invalid_grant", err)
	}
}
