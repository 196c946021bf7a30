package bearer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/bearer-go/bearer/internal/bound"
	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// WithClientCertificate presents cert to servers that ask for a client
// certificate (RFC 8705): for access tokens bound to it (cnf x5t#S256,
// RFC 8705 3), which the API takes only from a client that presents the
// certificate the token endpoint saw (the grant's Client.Certificate). It
// is added to the client's own transport, or to a clone of the
// *http.Transport of a client given with [WithHTTPClient]; a transport of
// another type cannot take it, and [NewClient] then fails.
//
// A token that says it is bound to a certificate (a JWT access token
// with cnf.x5t#S256) is checked before it is sent: bound to another
// certificate, or with no certificate given, the request fails with an
// error that says which certificate to give, and nothing is sent.
func WithClientCertificate(cert secret.Value[*tls.Certificate]) Option {
	return func(c *Client) error {
		crt := cert.Reveal()
		if crt == nil || len(crt.Certificate) == 0 || crt.PrivateKey == nil {
			return errors.New("bearer: WithClientCertificate needs the certificate and its private key: load both with tls.LoadX509KeyPair and pass secret.New(&cert)")
		}
		c.cert = cert
		c.binding.x5t = bound.CertThumbprint(crt.Certificate[0])
		return nil
	}
}

// certBinding checks that the tokens a client sends are bound to no
// certificate, or to the one it presents. The zero value presents none.
type certBinding struct {
	x5t  string                    // the thumbprint of the certificate presented; "" none
	last atomic.Pointer[bindCheck] // the check of the last token, replaced whole
}

// bindCheck is the outcome of checking one token.
type bindCheck struct {
	tok    *oauth2.Token
	access string
	err    error
}

// check returns why tok cannot be sent by this client, or nil. The
// outcome is kept for the last token, so a token is read once.
func (b *certBinding) check(tok *oauth2.Token) error {
	if c := b.last.Load(); c != nil && c.tok == tok && c.access == tok.AccessToken {
		return c.err
	}
	c := &bindCheck{tok: tok, access: tok.AccessToken}
	switch want := bound.Of(tok.AccessToken).X5T; {
	case want == "" || want == b.x5t:
	case b.x5t == "":
		c.err = unsendable(fmt.Sprintf("bearer: the token is bound to a client certificate (cnf x5t#S256 %s, RFC 8705 3) and the client presents none: give it that certificate, the grant's Client.Certificate, with WithClientCertificate", want))
	default:
		c.err = unsendable(fmt.Sprintf("bearer: the token is bound to the client certificate with SHA-256 thumbprint %s, but the client presents %s: give WithClientCertificate the certificate the token was issued to, the grant's Client.Certificate", want, b.x5t))
	}
	b.last.Store(c)
	return c.err
}
