package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AssertionLifetime is exp − iat of the client assertions this package
// signs. An assertion is used once, at once, so a long life buys nothing
// and lets a captured one be replayed; five minutes still absorbs the
// clock skew between client and server that RFC 7523 3 asks servers to
// allow for.
const AssertionLifetime = 5 * time.Minute

// assertion signs a client assertion (RFC 7523 3, OpenID Connect Core 9):
// iss and sub are the client id, aud the single audience as a string, jti
// fresh and random, iat now, exp shortly after.
func (c *ClientAuth) assertion(now time.Time, aud string) (string, error) {
	claims := jwt.MapClaims{
		"iss": c.ID,
		"sub": c.ID,
		"aud": aud,
		"jti": rand.Text(),
		"iat": now.Unix(),
		"exp": now.Add(AssertionLifetime).Unix(),
	}
	if c.Method == ClientSecretJWT {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(c.Secret.Reveal()))
		if err != nil {
			return "", fmt.Errorf("oauth: sign the client assertion: %w", err)
		}
		return s, nil
	}
	return signWithKey(c.Key.Reveal(), c.Algorithm, c.KeyID, claims)
}

// The JWS algorithms of keys (RFC 7518 3.1, RFC 8037 3.1).
const (
	algRS256 = "RS256"
	algPS256 = "PS256"
	algES256 = "ES256"
	algEdDSA = "EdDSA"
)

// minRSABits is the smallest RSA key RS256 and PS256 may use (RFC 7518
// 3.3, 3.5).
const minRSABits = 2048

// signingAlg returns the JWS algorithm key signs with: want if it fits the
// key, or the key's default when want is empty. prefix is what the Config
// fields Key and Algorithm are reached through, such as "Client.".
func signingAlg(key crypto.Signer, want, prefix string) (string, error) {
	if key == nil {
		return "", fmt.Errorf("oauth: set %sKey", prefix)
	}
	var fits []string
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return "", fmt.Errorf("oauth: %sKey is a %d-bit RSA key: RS256 and PS256 need at least %d bits", prefix, pub.N.BitLen(), minRSABits)
		}
		fits = []string{algRS256, algPS256}
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return "", fmt.Errorf("oauth: %sKey is an ECDSA key on a curve other than P-256: ES256 needs P-256", prefix)
		}
		fits = []string{algES256}
	case ed25519.PublicKey:
		fits = []string{algEdDSA}
	default:
		return "", fmt.Errorf("oauth: %sKey has a %T public key: use an RSA (RS256, PS256), P-256 ECDSA (ES256) or Ed25519 (EdDSA) key", prefix, key.Public())
	}
	switch {
	case want == "":
		return fits[0], nil
	case want == fits[0] || len(fits) > 1 && want == fits[1]:
		return want, nil
	}
	return "", fmt.Errorf("oauth: %sAlgorithm %q does not fit %sKey: use one of %v, or leave it empty for %s", prefix, want, prefix, fits, fits[0])
}

// signWithKey signs claims with any crypto.Signer under alg (empty: the
// key's default), so keys held in an HSM or a KMS work as well as
// in-memory ones.
func signWithKey(key crypto.Signer, alg, kid string, claims jwt.MapClaims) (string, error) {
	var header map[string]any
	if kid != "" {
		header = map[string]any{"kid": kid}
	}
	return signJWT(key, alg, header, claims)
}

// signJWT signs claims with key under alg (empty: the key's default),
// with the header fields of header besides alg and typ (JWT unless header
// sets it).
func signJWT(key crypto.Signer, alg string, header map[string]any, claims jwt.MapClaims) (string, error) {
	alg, err := signingAlg(key, alg, "")
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	for k, v := range header {
		t.Header[k] = v
	}
	input, err := t.SigningString()
	if err != nil {
		return "", fmt.Errorf("oauth: encode the assertion: %w", err)
	}
	sig, err := sign(key, alg, input)
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// sign signs a JWS signing input under alg: a SHA-256 digest for RS256,
// PS256 (salt as long as the hash, RFC 7518 3.5) and ES256; the message
// itself for EdDSA, which hashes internally (RFC 8032 5.1).
func sign(key crypto.Signer, alg, input string) ([]byte, error) {
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	switch alg {
	case algEdDSA:
		sig, err = key.Sign(rand.Reader, []byte(input), crypto.Hash(0))
	case algPS256:
		sig, err = key.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	default:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: sign the assertion with the key: %w", err)
	}
	if alg == algES256 {
		return ecdsaJOSE(sig)
	}
	return sig, nil
}

// es256Half is the length of r and of s in an ES256 signature (RFC 7518
// 3.4).
const es256Half = 32

// ecdsaJOSE turns an ASN.1 ECDSA signature, as crypto.Signer returns it,
// into the fixed-length r||s form of JWS.
func ecdsaJOSE(der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 ||
		rs.R.BitLen() > 8*es256Half || rs.S.BitLen() > 8*es256Half {
		return nil, errors.New("oauth: the key returned a malformed ECDSA signature")
	}
	out := make([]byte, 2*es256Half)
	rs.R.FillBytes(out[:es256Half])
	rs.S.FillBytes(out[es256Half:])
	return out, nil
}

// assertionAudience returns the default assertion audience for a token
// endpoint: its URL without query.
func assertionAudience(tokenURL *url.URL) string {
	u := *tokenURL
	u.RawQuery = ""
	return u.String()
}
