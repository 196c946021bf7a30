package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/bearer-go/bearer/secret"
)

// AuthMethod is how a client authenticates to the token endpoint, named as
// in the OAuth registry (RFC 7591 2). It is always chosen explicitly: this
// package never tries one method after another, which would double every
// failed login and lock accounts sooner.
type AuthMethod string

// The client authentication methods.
const (
	// ClientSecretBasic sends the client id and secret in an HTTP Basic
	// header, each form-url-encoded first (RFC 6749 2.3.1).
	ClientSecretBasic AuthMethod = "client_secret_basic"
	// ClientSecretPost sends client_id and client_secret as form
	// parameters (RFC 6749 2.3.1).
	ClientSecretPost AuthMethod = "client_secret_post"
	// ClientSecretJWT sends a JWT signed with HS256 keyed with the client
	// secret (RFC 7523 2.2, OpenID Connect Core 9). The secret itself is
	// never sent.
	ClientSecretJWT AuthMethod = "client_secret_jwt"
	// PrivateKeyJWT sends a JWT signed with the client's private key, RS256
	// or ES256 (RFC 7523 2.2, OpenID Connect Core 9).
	PrivateKeyJWT AuthMethod = "private_key_jwt"
	// AuthNone identifies a public client, such as a native app, by its
	// client_id alone (RFC 7591 2, RFC 8252 8.4).
	AuthNone AuthMethod = "none"
)

// JWTBearerAssertionType is the client_assertion_type of the JWT methods
// (RFC 7523 2.2).
const JWTBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// ClientAuth identifies the client and says how it authenticates. Its
// secrets are [secret.Value]s, so it prints them as REDACTED however it is
// printed.
//
// The zero value means no client authentication at all, which only the
// password and refresh grants accept (servers such as Climate Engine's
// need none there).
type ClientAuth struct {
	// Method is how the client authenticates. Required when ID is set.
	Method AuthMethod

	// ID is the client identifier (RFC 6749 2.2). Required with a Method.
	ID string

	// Secret is the client secret of ClientSecretBasic, ClientSecretPost
	// and ClientSecretJWT. It must be empty for the other methods.
	Secret secret.String

	// Key signs the assertions of PrivateKeyJWT: a signer whose public key
	// is an *rsa.PublicKey of at least 2048 bits (RS256) or an
	// *ecdsa.PublicKey on P-256 (ES256), such as an *rsa.PrivateKey, an
	// *ecdsa.PrivateKey, or a key held in a KMS, wrapped with
	// [secret.NewSigner]. It must be unset for the other methods.
	Key secret.Signer

	// KeyID is the kid header of PrivateKeyJWT assertions, naming the key
	// among those the server knows. Optional.
	KeyID string

	// Audience is the aud claim of assertions. Optional: empty means the
	// token endpoint's URL, as RFC 7523 3 and OpenID Connect Core 9 advise.
	Audience string
}

// minRSABits is the smallest RSA key RS256 may use (RFC 7518 3.3).
const minRSABits = 2048

// validate checks c. optional says the flow accepts no authentication.
func (c *ClientAuth) validate(optional bool) error {
	switch c.Method {
	case "":
		if c.ID != "" || !c.Secret.IsZero() || !c.Key.IsZero() {
			return errors.New("oauth: Client.Method is empty but credentials are set: choose the method (ClientSecretBasic, ClientSecretPost, ClientSecretJWT, PrivateKeyJWT or AuthNone); it is never guessed")
		}
		if !optional {
			return errors.New("oauth: Client is required: set Client.Method and Client.ID")
		}
		return nil
	case ClientSecretBasic, ClientSecretPost, ClientSecretJWT:
		if c.Secret.IsZero() {
			return fmt.Errorf("oauth: %s needs Client.Secret", c.Method)
		}
		if !c.Key.IsZero() {
			return fmt.Errorf("oauth: %s uses Client.Secret, not Client.Key: use PrivateKeyJWT to sign with a key", c.Method)
		}
	case PrivateKeyJWT:
		if !c.Secret.IsZero() {
			return errors.New("oauth: private_key_jwt signs with Client.Key: leave Client.Secret empty")
		}
		if _, err := signingAlg(c.Key.Reveal()); err != nil {
			return err
		}
	case AuthNone:
		if !c.Secret.IsZero() || !c.Key.IsZero() {
			return errors.New("oauth: AuthNone is for public clients: leave Client.Secret and Client.Key empty")
		}
	default:
		return fmt.Errorf("oauth: unknown Client.Method %q: use ClientSecretBasic, ClientSecretPost, ClientSecretJWT, PrivateKeyJWT or AuthNone", c.Method)
	}
	if c.ID == "" {
		return fmt.Errorf("oauth: %s needs Client.ID", c.Method)
	}
	return nil
}

// signingAlg returns the JWS algorithm of key: RS256 or ES256.
func signingAlg(key crypto.Signer) (string, error) {
	if key == nil {
		return "", errors.New("oauth: private_key_jwt needs Client.Key")
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return "", fmt.Errorf("oauth: Client.Key is a %d-bit RSA key: RS256 needs at least %d bits", pub.N.BitLen(), minRSABits)
		}
		return "RS256", nil
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return "", errors.New("oauth: Client.Key is an ECDSA key on a curve other than P-256: ES256 needs P-256")
		}
		return "ES256", nil
	}
	return "", fmt.Errorf("oauth: Client.Key has a %T public key: use an RSA (RS256) or P-256 ECDSA (ES256) key", key.Public())
}

// authenticate adds the client's credentials to a token request: to the
// form, or to h for ClientSecretBasic. aud is the assertion audience when
// c.Audience is empty. It returns the assertion it made, if any, so the
// caller can keep it out of errors.
func (c *ClientAuth) authenticate(form url.Values, h http.Header, now time.Time, aud string) (string, error) {
	switch c.Method {
	case ClientSecretBasic:
		h.Set("Authorization", "Basic "+basicCredentials(c.ID, c.Secret.Reveal()))
	case ClientSecretPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret.Reveal())
	case ClientSecretJWT, PrivateKeyJWT:
		if c.Audience != "" {
			aud = c.Audience
		}
		a, err := c.assertion(now, aud)
		if err != nil {
			return "", err
		}
		form.Set("client_assertion_type", JWTBearerAssertionType)
		form.Set("client_assertion", a)
		return a, nil
	case AuthNone:
		form.Set("client_id", c.ID)
	}
	return "", nil
}

// basicCredentials encodes a client id and secret for the Basic scheme as
// RFC 6749 2.3.1 requires: each form-url-encoded, then joined with ':' and
// base64-encoded. Without the first step an id or secret holding ':' or
// '%' is misread by the server.
func basicCredentials(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}
