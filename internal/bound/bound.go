// Package bound reads what an access token is bound to, from the
// confirmation claim (cnf, RFC 7800 3.1) of a token that is a JWT: the
// key of a DPoP-bound token (jkt, RFC 9449 6.1) and the certificate of a
// certificate-bound one (x5t#S256, RFC 8705 3.1). The token is read
// without verifying its signature: the client holds no key of the
// server's, and uses the claim only to catch a mismatch early, with a
// message that says what to do, before the server refuses the token.
// An opaque token says nothing; the server alone then knows.
package bound

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Confirmation is the cnf claim of an access token; empty fields mean the
// token does not say (an opaque token, or no such member).
type Confirmation struct {
	JKT string // the JWK SHA-256 thumbprint of the DPoP key (RFC 9449 6.1)
	X5T string // the SHA-256 thumbprint of the client certificate (RFC 8705 3.1)
}

// Of returns the cnf claim of access, if it is a JWT that has one.
func Of(access string) Confirmation {
	if strings.Count(access, ".") != 2 {
		return Confirmation{}
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		return Confirmation{}
	}
	cnf, _ := claims["cnf"].(map[string]any)
	jkt, _ := cnf["jkt"].(string)
	x5t, _ := cnf["x5t#S256"].(string)
	return Confirmation{JKT: jkt, X5T: x5t}
}

// CertThumbprint returns the x5t#S256 of a certificate: the base64url
// encoding, without padding, of the SHA-256 of its DER encoding (RFC 8705
// 3.1).
func CertThumbprint(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
