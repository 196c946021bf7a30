package oauth

import (
	"crypto/tls"
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
	// PrivateKeyJWT sends a JWT signed with the client's private key:
	// RS256, PS256, ES256 or EdDSA (RFC 7523 2.2, OpenID Connect Core 9).
	PrivateKeyJWT AuthMethod = "private_key_jwt"
	// AuthNone identifies a public client, such as a native app, by its
	// client_id alone (RFC 7591 2, RFC 8252 8.4).
	AuthNone AuthMethod = "none"
	// TLSClientAuth authenticates the client by the certificate it
	// presents in the TLS handshake, issued by a CA the server trusts, and
	// its client_id (RFC 8705 2.1). Needs Client.Certificate and an https
	// token endpoint; no secret is sent.
	TLSClientAuth AuthMethod = "tls_client_auth"
	// SelfSignedTLSClientAuth authenticates the client by a self-signed
	// certificate it registered with the server, presented in the TLS
	// handshake, and its client_id (RFC 8705 2.2). Needs
	// Client.Certificate and an https token endpoint; no secret is sent.
	SelfSignedTLSClientAuth AuthMethod = "self_signed_tls_client_auth"
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
	// is an *rsa.PublicKey of at least 2048 bits (RS256 or PS256), an
	// *ecdsa.PublicKey on P-256 (ES256) or an ed25519.PublicKey (EdDSA),
	// such as an *rsa.PrivateKey, an *ecdsa.PrivateKey, an
	// ed25519.PrivateKey, or a key held in a KMS, wrapped with
	// [secret.NewSigner]. It must be unset for the other methods.
	Key secret.Signer

	// KeyID is the kid header of PrivateKeyJWT assertions, naming the key
	// among those the server knows. Optional.
	KeyID string

	// Algorithm is the JWS alg of PrivateKeyJWT assertions (RFC 7518 3.1,
	// RFC 8037 3.1). Optional: empty means RS256 for an RSA key, ES256 for
	// a P-256 key and EdDSA for an Ed25519 key; set PS256 to sign with an
	// RSA key under RSASSA-PSS, as FAPI profiles require. ClientSecretJWT
	// always signs with HS256.
	Algorithm string

	// Audience is the aud claim of assertions. Optional: empty means the
	// token endpoint's URL, as RFC 7523 3 and OpenID Connect Core 9 advise.
	Audience string

	// Certificate is the client's TLS certificate, with its private key,
	// presented to the server's endpoints when they ask for one (RFC
	// 8705): required for TLSClientAuth and SelfSignedTLSClientAuth, and
	// optional with the other methods, where it makes the server bind the
	// tokens to it (RFC 8705 3): an API then takes them only from a
	// client that presents it too (bearer.WithClientCertificate). With a
	// certificate, endpoints are taken from the metadata's
	// mtls_endpoint_aliases when it has them (RFC 8705 5). It is added to
	// the SDK's transport, or to a clone of Settings.HTTPClient's
	// *http.Transport; a transport of another type must present it
	// itself. Load it with tls.LoadX509KeyPair and wrap it:
	// secret.New(&cert).
	Certificate secret.Value[*tls.Certificate]
}

// usesTLS reports whether the client authenticates with its certificate.
func (c *ClientAuth) usesTLS() bool {
	return c.Method == TLSClientAuth || c.Method == SelfSignedTLSClientAuth
}

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
		if c.Algorithm != "" && (c.Method != ClientSecretJWT || c.Algorithm != "HS256") {
			return fmt.Errorf("oauth: Client.Algorithm %q does not apply to %s: leave it empty", c.Algorithm, c.Method)
		}
	case PrivateKeyJWT:
		if !c.Secret.IsZero() {
			return errors.New("oauth: private_key_jwt signs with Client.Key: leave Client.Secret empty")
		}
		if c.Key.IsZero() {
			return errors.New("oauth: private_key_jwt needs Client.Key")
		}
		if _, err := signingAlg(c.Key.Reveal(), c.Algorithm, "Client."); err != nil {
			return err
		}
	case AuthNone:
		if !c.Secret.IsZero() || !c.Key.IsZero() || c.Algorithm != "" {
			return errors.New("oauth: AuthNone is for public clients: leave Client.Secret, Client.Key and Client.Algorithm empty")
		}
	case TLSClientAuth, SelfSignedTLSClientAuth:
		if !c.Secret.IsZero() || !c.Key.IsZero() || c.Algorithm != "" {
			return fmt.Errorf("oauth: %s authenticates with Client.Certificate alone: leave Client.Secret, Client.Key and Client.Algorithm empty", c.Method)
		}
		if c.Certificate.IsZero() {
			return fmt.Errorf("oauth: %s needs Client.Certificate: load it with tls.LoadX509KeyPair and set secret.New(&cert)", c.Method)
		}
	default:
		return fmt.Errorf("oauth: unknown Client.Method %q: use ClientSecretBasic, ClientSecretPost, ClientSecretJWT, PrivateKeyJWT, AuthNone, TLSClientAuth or SelfSignedTLSClientAuth", c.Method)
	}
	if c.ID == "" {
		return fmt.Errorf("oauth: %s needs Client.ID", c.Method)
	}
	return checkCertificate(c.Certificate)
}

// checkCertificate refuses a client certificate that cannot be presented:
// no certificate, or no private key.
func checkCertificate(v secret.Value[*tls.Certificate]) error {
	if cert := v.Reveal(); cert != nil && (len(cert.Certificate) == 0 || cert.PrivateKey == nil) {
		return errors.New("oauth: Client.Certificate needs the certificate and its private key: load both with tls.LoadX509KeyPair")
	}
	return nil
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
	case AuthNone, TLSClientAuth, SelfSignedTLSClientAuth:
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
