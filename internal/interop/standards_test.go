package interop_test

import (
	"context"
	"crypto"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/golang-jwt/jwt/v5"
)

// What fosite v0.49 offers of issue 12's flows, checked in its source
// (github.com/ory/fosite@v0.49.0): the JWT bearer grant (handler/rfc7523,
// for issuers whose keys the store trusts), introspection
// (NewIntrospectionRequest: client_secret_basic or a bearer token), and
// revocation. It has no device authorization grant (RFC 8628 arrived in
// later versions), no discovery handler, and does not send iss in
// authorization responses (RFC 9207); those are tested against the
// project's fakes in package oauth.

func TestJWTBearerGrant(t *testing.T) {
	s := newServer(t)
	s.trust("robot-fleet", username, "rsa", &testkeys.RSA().PublicKey, "read")
	s.trust("robot-fleet", username, "ec", &testkeys.ECP256().PublicKey, "read")
	s.trust("robot-fleet", username, "ed", testkeys.Ed25519().Public(), "read")
	client := oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}
	tests := []struct {
		name string
		key  crypto.Signer
		alg  string
		kid  string
	}{
		{"RS256", testkeys.RSA(), "", "rsa"},
		{"PS256", testkeys.RSA(), "PS256", "rsa"},
		{"ES256", testkeys.ECP256(), "", "ec"},
		{"EdDSA", testkeys.Ed25519(), "", "ed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := oauth.NewJWTBearer(oauth.JWTBearerConfig{TokenURL: s.tokenURL(), Client: client, Scopes: []string{"read"},
				Key: secret.NewSigner(tt.key), Algorithm: tt.alg, KeyID: tt.kid, Issuer: "robot-fleet", Subject: username})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 { // fosite remembers each jti: the second needs a fresh one
				tok, err := j.Token(bounded(t))
				if err != nil {
					t.Fatalf("Token() #%d = %v", i+1, err)
				}
				if scope, _ := oauth.Scope(tok); tok.AccessToken == "" || len(scope) != 1 || scope[0] != "read" {
					t.Errorf("Token() = %+v; want an access token with scope read", tok)
				}
			}
		})
	}
}

func TestJWTBearerRefusals(t *testing.T) {
	s := newServer(t)
	s.trust("robot-fleet", username, "rsa", &testkeys.RSA().PublicKey, "read")
	client := oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": "robot-fleet", "sub": username, "aud": s.tokenURL(),
		"exp": jwt.NewNumericDate(nowPlus(5)), "iat": jwt.NewNumericDate(nowPlus(0)), "jti": "once"}).SignedString(testkeys.RSA())
	if err != nil {
		t.Fatal(err)
	}
	supplied, err := oauth.NewJWTBearer(oauth.JWTBearerConfig{TokenURL: s.tokenURL(), Client: client, Assertion: secret.New(signed)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := supplied.Token(bounded(t)); err != nil {
		t.Fatalf("Token() with a supplied assertion = %v", err)
	}
	_, err = supplied.Token(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || !oe.Permanent() || strings.Contains(err.Error(), signed) {
		t.Errorf("Token() replaying the assertion = %v; want a permanent refusal that does not quote it", err)
	}
	untrusted, _ := oauth.NewJWTBearer(oauth.JWTBearerConfig{TokenURL: s.tokenURL(), Client: client,
		Key: secret.NewSigner(testkeys.ECP256()), Issuer: "robot-fleet", Subject: username})
	if _, err := untrusted.Token(bounded(t)); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("Token() signed with an untrusted key = %v; want invalid_grant", err)
	}
}

func TestIntrospection(t *testing.T) {
	s := newServer(t)
	_, tok, err := passwordLogin(t, s, password)
	if err != nil {
		t.Fatal(err)
	}
	client := oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New(basicSecret)}
	in, err := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: s.introspectURL(), Client: client})
	if err != nil {
		t.Fatal(err)
	}
	got, err := in.Introspect(bounded(t), tok.AccessToken, oauth.HintAccessToken)
	if err != nil || !got.Active || got.ClientID != basicClient || got.Username != username || got.Subject == "" || got.Expiry.IsZero() ||
		strings.Join(got.Scope, " ") != "read offline" {
		t.Fatalf("Introspect(access token) = %+v, %v; want active, for peter through basic-app", got, err)
	}
	rev, _ := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: s.revokeURL(), Client: client})
	if err := rev.Revoke(bounded(t), tok.AccessToken, oauth.HintAccessToken); err != nil {
		t.Fatal(err)
	}
	if got, err := in.Introspect(bounded(t), tok.AccessToken, ""); err != nil || got.Active {
		t.Errorf("Introspect(revoked) = %+v, %v; want inactive", got, err)
	}
	bad, _ := oauth.NewIntrospector(oauth.IntrospectionConfig{IntrospectionURL: s.introspectURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: basicClient, Secret: secret.New("wrong")}})
	_, err = bad.Introspect(bounded(t), tok.AccessToken, "")
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusUnauthorized || !oe.Permanent() {
		t.Errorf("Introspect() with a wrong secret = %v; want a permanent 401 (RFC 7662 2.3)", err)
	}
}

func TestDiscoveredEndpoints(t *testing.T) {
	s := newServer(t)
	md, err := oauth.Discover(bounded(t), s.URL, oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover() = %v", err)
	}
	pss := oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: pssClient, Key: secret.NewSigner(testkeys.RSA()), Algorithm: "PS256", KeyID: "pss-1"}
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{Metadata: md, Client: pss, Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cc.Token(bounded(t))
	if err != nil {
		t.Fatalf("Token() with a PS256 client assertion = %v", err)
	}
	// Revocation with a client assertion: its audience, the token
	// endpoint, comes from the metadata.
	rev, err := oauth.NewRevoker(oauth.RevocationConfig{Metadata: md, Client: pss})
	if err != nil {
		t.Fatal(err)
	}
	if err := rev.Revoke(bounded(t), tok.AccessToken, oauth.HintAccessToken); err != nil {
		t.Errorf("Revoke() = %v", err)
	}
	// A method fosite's introspection does not take is refused before any request.
	if _, err := oauth.NewIntrospector(oauth.IntrospectionConfig{Metadata: md, Client: pss}); err == nil || !strings.Contains(err.Error(), "introspection endpoint") {
		t.Errorf("NewIntrospector with private_key_jwt = %v; want it refused from the metadata", err)
	}
}

func TestWebAppCodeFlowWithOpenIDConnect(t *testing.T) {
	s := newServer(t)
	flow, err := oauth.NewAuthCode(oauth.AuthCodeConfig{AuthURL: s.authURL(), TokenURL: s.tokenURL(), RedirectURL: webRedirect,
		Scopes: []string{"openid", "offline"}, Issuer: s.URL,
		Client: oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: webClient, Secret: secret.New(basicSecret)}})
	if err != nil {
		t.Fatal(err)
	}
	authURL, sess, err := flow.AuthURL()
	if err != nil {
		t.Fatal(err)
	}
	callback, err := redirectedTo(bounded(t), authURL, webRedirect)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := flow.Exchange(bounded(t), sess, callback)
	if err != nil {
		t.Fatalf("Exchange() = %v", err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.Parse(oauth.IDToken(tok), func(*jwt.Token) (any, error) { return &testkeys.RSA().PublicKey, nil }); err != nil {
		t.Errorf("fosite's ID token does not verify: %v", err)
	}
	jwt.NewParser().ParseUnverified(oauth.IDToken(tok), claims)
	if claims["nonce"] != sess.Nonce || tok.RefreshToken == "" {
		t.Errorf("ID token claims = %v; want the session's nonce %q, and a refresh token", claims, sess.Nonce)
	}
	// The code was redeemed: a replayed callback is refused.
	if _, err := flow.Exchange(bounded(t), sess, callback); !errors.Is(err, oauth.ErrInvalidGrant) {
		t.Errorf("Exchange() again = %v; want invalid_grant", err)
	}
}

// redirectedTo plays the browser of a web app's user: it follows the
// authorization server's redirects until one goes to redirect, and
// returns that one's query.
func redirectedTo(ctx context.Context, authURL, redirect string) (url.Values, error) {
	var got url.Values
	c := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirect) {
			got = req.URL.Query()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if got == nil {
		return nil, errors.New("no redirect to the app: " + resp.Status)
	}
	return got, nil
}

// nowPlus is the wall clock, minutes from now: fosite checks assertions
// against it.
func nowPlus(minutes int) time.Time { return time.Now().Add(time.Duration(minutes) * time.Minute) }
