package oauth

import (
	"crypto"
	"crypto/rand"
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
	return signWithKey(c.Key.Reveal(), c.KeyID, claims)
}

// signWithKey signs claims with any crypto.Signer, so keys held in an HSM
// or a KMS work as well as in-memory ones.
func signWithKey(key crypto.Signer, kid string, claims jwt.MapClaims) (string, error) {
	alg, err := signingAlg(key)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), claims)
	if kid != "" {
		t.Header["kid"] = kid
	}
	input, err := t.SigningString()
	if err != nil {
		return "", fmt.Errorf("oauth: encode the client assertion: %w", err)
	}
	digest := sha256.Sum256([]byte(input))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("oauth: sign the client assertion with Client.Key: %w", err)
	}
	if alg == "ES256" {
		if sig, err = ecdsaJOSE(sig); err != nil {
			return "", err
		}
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
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
		return nil, errors.New("oauth: Client.Key returned a malformed ECDSA signature")
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
