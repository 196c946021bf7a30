// Package boundtest holds servers that issue and check sender-constrained
// tokens, for the SDK's tests: an authorization server and a resource
// server that verify DPoP proofs as RFC 9449 4.3 and 7.1 say ([DPoP]),
// and ones that authenticate clients and bind tokens by their TLS
// certificates as RFC 8705 says ([MTLS]). They check what they receive
// independently of the SDK's code: their own thumbprints, hashes and
// key parsing.
package boundtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ProofWindow is how far a proof's iat may be from the server's clock
// (RFC 9449 11.1 leaves it to the server; a minute allows for skew and
// is what common servers use).
const ProofWindow = time.Minute

// A Proof is a DPoP proof a server accepted, as it read it.
type Proof struct {
	Header map[string]any
	Claims jwt.MapClaims
	JKT    string // the thumbprint of its jwk, computed by the server
}

// verifier checks DPoP proofs (RFC 9449 4.3) and remembers their jti
// values, so that none is accepted twice.
type verifier struct {
	now   func() time.Time
	mu    sync.Mutex           // guards jtis, nonce
	jtis  map[string]time.Time // jti → when it may be forgotten
	nonce string               // the nonce proofs must carry; "" none
}

func newVerifier(now func() time.Time) *verifier {
	return &verifier{now: now, jtis: map[string]time.Time{}}
}

// errNonce says a proof lacks the server's nonce or carries another.
var errNonce = errors.New("nonce missing or stale")

// check verifies the DPoP proof of r, which carries accessToken ("" for a
// token request): RFC 9449 4.3's steps 1 to 12.
func (v *verifier) check(r *http.Request, accessToken string) (*Proof, error) {
	vals := r.Header.Values("DPoP")
	if len(vals) != 1 {
		return nil, fmt.Errorf("%d DPoP headers; want exactly one", len(vals))
	}
	p := &Proof{}
	t, err := jwt.NewParser(jwt.WithValidMethods([]string{"ES256", "RS256", "PS256", "EdDSA"})).
		Parse(vals[0], func(t *jwt.Token) (any, error) {
			if t.Header["typ"] != "dpop+jwt" {
				return nil, fmt.Errorf("typ %v; want dpop+jwt", t.Header["typ"])
			}
			jwk, ok := t.Header["jwk"].(map[string]any)
			if !ok {
				return nil, errors.New("no jwk header")
			}
			key, jkt, err := publicKey(jwk)
			p.JKT = jkt
			return key, err
		})
	if err != nil {
		return nil, fmt.Errorf("bad proof: %w", err)
	}
	p.Header, p.Claims = t.Header, t.Claims.(jwt.MapClaims)
	return p, v.checkClaims(r, p.Claims, accessToken)
}

func (v *verifier) checkClaims(r *http.Request, c jwt.MapClaims, accessToken string) error {
	if c["htm"] != r.Method {
		return fmt.Errorf("htm %v; want %s", c["htm"], r.Method)
	}
	if want := requestURI(r); c["htu"] != want {
		return fmt.Errorf("htu %v; want %s", c["htu"], want)
	}
	iat, err := c.GetIssuedAt()
	if err != nil || iat == nil {
		return errors.New("no iat")
	}
	if d := v.now().Sub(iat.Time); d > ProofWindow || d < -ProofWindow {
		return fmt.Errorf("iat %v is %v from now", iat.Time, d)
	}
	if _, has := c["ath"]; has != (accessToken != "") {
		return fmt.Errorf("ath present: %v; want %v", has, accessToken != "")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if c["ath"] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return errors.New("ath is not the hash of the access token")
		}
	}
	return v.checkOnce(c)
}

// checkOnce checks the nonce and that the jti was never seen.
func (v *verifier) checkOnce(c jwt.MapClaims) error {
	jti, _ := c["jti"].(string)
	if jti == "" {
		return errors.New("no jti")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.nonce != "" && c["nonce"] != v.nonce {
		return errNonce
	}
	now := v.now()
	for k, exp := range v.jtis {
		if now.After(exp) {
			delete(v.jtis, k)
		}
	}
	if _, seen := v.jtis[jti]; seen {
		return fmt.Errorf("jti %q replayed", jti)
	}
	v.jtis[jti] = now.Add(2 * ProofWindow)
	return nil
}

func (v *verifier) setNonce(n string) {
	v.mu.Lock()
	v.nonce = n
	v.mu.Unlock()
}

func (v *verifier) currentNonce() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.nonce
}

// requestURI is the htu r must carry: its URI without query and fragment.
func requestURI(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath}
	return u.String()
}

// publicKey reads a public JWK (RFC 7518 6, RFC 8037 2) and computes its
// thumbprint (RFC 7638 3), with the members in the order 3.2 fixes. A JWK
// with a private member is refused (RFC 9449 4.3 step 7).
func publicKey(jwk map[string]any) (crypto.PublicKey, string, error) {
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
		if _, ok := jwk[private]; ok {
			return nil, "", fmt.Errorf("the jwk holds the private member %q", private)
		}
	}
	m := func(k string) string { s, _ := jwk[k].(string); return s }
	b := func(k string) []byte { d, _ := base64.RawURLEncoding.DecodeString(m(k)); return d }
	var canon string
	var key crypto.PublicKey
	switch m("kty") {
	case "EC":
		if m("crv") != "P-256" || len(b("x")) != 32 || len(b("y")) != 32 {
			return nil, "", errors.New("EC jwk is not P-256")
		}
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, b("x")...), b("y")...))
		if err != nil {
			return nil, "", fmt.Errorf("EC jwk is no point on P-256: %w", err)
		}
		key = k
		canon = fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, m("x"), m("y"))
	case "RSA":
		key = &rsa.PublicKey{N: new(big.Int).SetBytes(b("n")), E: int(new(big.Int).SetBytes(b("e")).Int64())}
		canon = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, m("e"), m("n"))
	case "OKP":
		if m("crv") != "Ed25519" || len(b("x")) != ed25519.PublicKeySize {
			return nil, "", errors.New("OKP jwk is not Ed25519")
		}
		key = ed25519.PublicKey(b("x"))
		canon = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, m("x"))
	default:
		return nil, "", fmt.Errorf("jwk kty %q", m("kty"))
	}
	sum := sha256.Sum256([]byte(canon))
	return key, base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// bearerValue returns the credential of r's Authorization header under
// scheme, case-insensitively, or "".
func bearerValue(r *http.Request, scheme string) string {
	v := r.Header.Get("Authorization")
	if len(v) > len(scheme)+1 && strings.EqualFold(v[:len(scheme)], scheme) && v[len(scheme)] == ' ' {
		return v[len(scheme)+1:]
	}
	return ""
}
