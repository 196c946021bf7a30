package oauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/bound"
	"github.com/bearer-go/bearer/internal/boundtest"
	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// dpopKeys are the keys a DPoP key may be, each with the alg to ask for:
// "" is the key's default.
func dpopKeys(t *testing.T) map[string]oauth.DPoPConfig {
	t.Helper()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey := testkeys.RSA()
	return map[string]oauth.DPoPConfig{
		"generated": {},
		"ES256":     {Key: secret.NewSigner(ec)},
		"EdDSA":     {Key: secret.NewSigner(ed)},
		"RS256":     {Key: secret.NewSigner(rsaKey)},
		"PS256":     {Key: secret.NewSigner(rsaKey), Algorithm: "PS256"},
	}
}

func newDPoP(t *testing.T, cfg oauth.DPoPConfig) *oauth.DPoP {
	t.Helper()
	d, err := oauth.NewDPoP(cfg)
	if err != nil {
		t.Fatalf("NewDPoP: %v", err)
	}
	return d
}

func dpopClientCredentials(t *testing.T, tokenURL string, d *oauth.DPoP) *oauth.ClientCredentials {
	t.Helper()
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: tokenURL,
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: boundtest.ClientID, Secret: secret.New(boundtest.ClientSecret)},
		Settings: oauth.Settings{DPoP: d},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cc
}

// With Settings.DPoP, a token request carries a proof the server verifies
// (signature with the jwk, typ, htm, htu, iat, jti), and the server binds
// the token to the key: token_type DPoP, cnf.jkt the key's thumbprint.
// Every kind of key works: P-256, Ed25519, RSA under RS256 and PS256, and
// a generated one.
func TestDPoPTokenRequestIsBound(t *testing.T) {
	for name, cfg := range dpopKeys(t) {
		t.Run(name, func(t *testing.T) {
			srv := boundtest.NewDPoP(t, nil)
			d := newDPoP(t, cfg)
			if want := map[string]string{"generated": "ES256", "RS256": "RS256"}[name]; want != "" && d.Algorithm() != want {
				t.Errorf("Algorithm() = %q; want %q", d.Algorithm(), want)
			}
			tok, err := dpopClientCredentials(t, srv.URL+"/token", d).Token(bounded(t))
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			if tok.TokenType != "DPoP" {
				t.Errorf("token_type = %q; want DPoP", tok.TokenType)
			}
			if jkt := bound.Of(tok.AccessToken).JKT; jkt != d.Thumbprint() {
				t.Errorf("cnf.jkt = %q; want the key's thumbprint %q", jkt, d.Thumbprint())
			}
		})
	}
}

// The proof of a token request: typ dpop+jwt, the public key alone in
// jwk, htm, htu without the query, iat from Settings' clock, a new jti
// each time, and no ath (there is no access token yet).
func TestDPoPTokenRequestProof(t *testing.T) {
	ts := newTokenServer(t, 200, `{"access_token":"at","token_type":"DPoP","expires_in":60}`)
	now := time.Unix(1_800_000_000, 0)
	d := newDPoP(t, oauth.DPoPConfig{Now: func() time.Time { return now }})
	cc := dpopClientCredentials(t, ts.URL+"/token?tenant=a", d)
	for range 2 {
		if _, err := cc.Token(bounded(t)); err != nil {
			t.Fatal(err)
		}
	}
	reqs := ts.requests()
	var jtis []any
	for _, r := range reqs {
		h, c := decodeJWT(t, r.header.Get("DPoP"))
		jwk, _ := h["jwk"].(map[string]any)
		if h["typ"] != "dpop+jwt" || h["alg"] != "ES256" || jwk["kty"] != "EC" || jwk["d"] != nil || len(jwk) != 4 {
			t.Errorf("proof header = %v; want typ dpop+jwt, alg ES256, the public EC key alone", h)
		}
		if c["htm"] != "POST" || c["htu"] != ts.URL+"/token" || c["iat"] != float64(now.Unix()) || c["ath"] != nil || c["nonce"] != nil {
			t.Errorf("proof claims = %v; want htm POST, htu %s/token, iat %d, no ath, no nonce", c, ts.URL, now.Unix())
		}
		jtis = append(jtis, c["jti"])
	}
	if len(jtis) != 2 || jtis[0] == jtis[1] || jtis[0] == "" {
		t.Errorf("jti of the two proofs = %v; want two different ones", jtis)
	}
}

// decodeJWT returns the header and claims of a JWT, unverified.
func decodeJWT(t *testing.T, s string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	c := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(s, c)
	if err != nil {
		t.Fatalf("the DPoP header %q is no JWT: %v", s, err)
	}
	return tok.Header, c
}

// A server that requires a nonce answers use_dpop_nonce with one (RFC
// 9449 8): the token request is sent once more with it, and the next
// request carries it from the start.
func TestDPoPTokenEndpointNonce(t *testing.T) {
	srv := boundtest.NewDPoP(t, nil)
	srv.RequireNonce("as-nonce-1", "")
	cc := dpopClientCredentials(t, srv.URL+"/token", newDPoP(t, oauth.DPoPConfig{}))
	for i, want := range []int{2, 3} {
		if _, err := cc.Token(bounded(t)); err != nil {
			t.Fatalf("Token() #%d = %v", i+1, err)
		}
		if n, _ := srv.Counts(); n != want {
			t.Errorf("after Token() #%d the server saw %d token requests; want %d", i+1, n, want)
		}
	}
}

// A server that asks for a new nonce after the retry too gets no third
// request: RFC 9449 8 allows one retry. Its error is returned.
func TestDPoPTokenEndpointNonceRetriedOnce(t *testing.T) {
	var n atomic.Int64
	ts := newTokenServer(t, 0, "")
	ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("DPoP-Nonce", fmt.Sprintf("nonce-%d", n.Add(1)))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}`)
	})
	_, err := dpopClientCredentials(t, ts.URL, newDPoP(t, oauth.DPoPConfig{})).Token(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "use_dpop_nonce" {
		t.Errorf("Token() = %v; want the use_dpop_nonce *oauth.Error", err)
	}
	reqs := ts.requests()
	if len(reqs) != 2 {
		t.Fatalf("the server saw %d requests; want 2", len(reqs))
	}
	if _, c := decodeJWT(t, reqs[1].header.Get("DPoP")); c["nonce"] != "nonce-1" {
		t.Errorf("the retry's proof has nonce %v; want nonce-1", c["nonce"])
	}
}

// A refresh token bound to a key is refreshed with a proof of that key,
// and refused with a proof of another (RFC 9449 5).
func TestDPoPRefreshTokenIsBound(t *testing.T) {
	srv := boundtest.NewDPoP(t, nil)
	d := newDPoP(t, oauth.DPoPConfig{})
	first, err := dpopClientCredentials(t, srv.URL+"/token", d).Token(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(d *oauth.DPoP) error {
		rt, err := oauth.NewRefreshToken(oauth.RefreshTokenConfig{TokenURL: srv.URL + "/token", Settings: oauth.Settings{DPoP: d}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = rt.Refresh(bounded(t), first)
		return err
	}
	if err := refresh(newDPoP(t, oauth.DPoPConfig{})); err == nil || !strings.Contains(err.Error(), "invalid_dpop_proof") {
		t.Errorf("refresh with another key = %v; want invalid_dpop_proof", err)
	}
	if err := refresh(d); err != nil {
		t.Errorf("refresh with the key = %v", err)
	}
}

// NewRefresher configures the Refresher for DPoP when the grant has a
// key, so that a DPoP token is served; without one it is refused.
func TestNewRefresherAcceptsDPoPTokens(t *testing.T) {
	srv := boundtest.NewDPoP(t, nil)
	r, err := oauth.NewRefresher(bounded(t), dpopClientCredentials(t, srv.URL+"/token", newDPoP(t, oauth.DPoPConfig{})), tokenrefresh.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tok, err := r.Token(bounded(t))
	if err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("Token() = %v, %v; want a DPoP token", tok, err)
	}
}

// A generated key dies with the process; a Store would keep tokens bound
// to it. NewRefresher refuses the pair, and says to give a key.
func TestNewRefresherRefusesAGeneratedKeyWithAStore(t *testing.T) {
	cc := dpopClientCredentials(t, "https://auth.example.com/token", newDPoP(t, oauth.DPoPConfig{}))
	_, err := oauth.NewRefresher(bounded(t), cc, tokenrefresh.Config{Store: &tokenrefresh.MemoryStore{}})
	if err == nil || !strings.Contains(err.Error(), "DPoPConfig.Key") {
		t.Errorf("NewRefresher(generated key, Store) = %v; want an error that says to set DPoPConfig.Key", err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cc = dpopClientCredentials(t, "https://auth.example.com/token", newDPoP(t, oauth.DPoPConfig{Key: secret.NewSigner(key)}))
	r, err := oauth.NewRefresher(bounded(t), cc, tokenrefresh.Config{Store: &tokenrefresh.MemoryStore{}, Initial: secret.New(&oauth2.Token{AccessToken: "a", Expiry: time.Now().Add(time.Hour)})})
	if err != nil {
		t.Fatalf("NewRefresher(given key, Store) = %v", err)
	}
	r.Close()
}

// NewDPoP refuses what cannot sign proofs.
func TestNewDPoPRefuses(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, cfg := range map[string]oauth.DPoPConfig{
		"P-384 key":               {Key: secret.NewSigner(ec)},
		"1024-bit RSA":            {Key: secret.NewSigner(crypto.Signer(small))},
		"PS256 for an EC key":     {Key: secret.NewSigner(crypto.Signer(testkeys.ECP256())), Algorithm: "PS256"},
		"RS256 for generated key": {Algorithm: "RS256"},
	} {
		if _, err := oauth.NewDPoP(cfg); err == nil {
			t.Errorf("NewDPoP(%s) succeeded; want an error", name)
		}
	}
}

// A proof carries no secret: not the access token (only its hash), not
// the private key (the jwk is the public key's members alone).
func TestDPoPProofHoldsNoSecret(t *testing.T) {
	key := testkeys.ECP256()
	d := newDPoP(t, oauth.DPoPConfig{Key: secret.NewSigner(key)})
	u, _ := url.Parse("https://api.example.com/items?secret-query=1")
	const access = "access-token-canary-91c2"
	proof, err := d.Proof("GET", u, access)
	if err != nil {
		t.Fatal(err)
	}
	h, c := decodeJWT(t, proof)
	all := fmt.Sprint(h, c)
	priv, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{access, base64.RawURLEncoding.EncodeToString(priv), "secret-query"} {
		if strings.Contains(all, s) || strings.Contains(proof, s) {
			t.Errorf("the proof holds %q: %s", s, all)
		}
	}
	if c["ath"] != oauth.AccessTokenHash(access) {
		t.Errorf("ath = %v; want the token's hash", c["ath"])
	}
}

// A server whose metadata lists the DPoP algorithms it takes refuses a
// key of another, before any I/O (RFC 9449 5.1).
func TestDPoPAlgorithmCheckedAgainstMetadata(t *testing.T) {
	md := &oauth.Metadata{Issuer: "https://as.example", TokenEndpoint: "https://as.example/token",
		DPoPSigningAlgValuesSupported: []string{"ES256", "PS256"}}
	cfg := func(d oauth.DPoPConfig) oauth.ClientCredentialsConfig {
		return oauth.ClientCredentialsConfig{Metadata: md, Client: basicAuth(), Settings: oauth.Settings{DPoP: newDPoP(t, d)}}
	}
	if _, err := oauth.NewClientCredentials(cfg(oauth.DPoPConfig{Key: secret.NewSigner(testkeys.Ed25519())})); err == nil || !strings.Contains(err.Error(), "not EdDSA") {
		t.Errorf("NewClientCredentials(EdDSA key, server takes ES256 PS256) = %v; want an error", err)
	}
	for _, d := range []oauth.DPoPConfig{{}, {Key: secret.NewSigner(testkeys.RSA()), Algorithm: "PS256"}} {
		if _, err := oauth.NewClientCredentials(cfg(d)); err != nil {
			t.Errorf("NewClientCredentials(%s key) = %v", newDPoP(t, d).Algorithm(), err)
		}
	}
}
