package httpx

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Trust is a set of certificates to verify servers against (a server's
// own self-signed certificate, or a company CA), with where they came
// from, for messages.
type Trust struct {
	Certs   []*x509.Certificate
	Sources []string // "PEM data", a file name
}

// tlsConfig returns a copy of base (nil: a TLS 1.2 minimum) whose roots
// are base's, if any, and the trusted certificates.
func (t *Trust) tlsConfig(base *tls.Config) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if base != nil {
		cfg = base.Clone()
	}
	roots := x509.NewCertPool()
	if cfg.RootCAs != nil {
		roots = cfg.RootCAs.Clone()
	}
	for _, c := range t.Certs {
		roots.AddCert(c)
	}
	cfg.RootCAs = roots
	return cfg
}

// explain turns a failed certificate verification into an
// [*UntrustedCertificateError].
func (t *Trust) explain(host string, err error) error {
	var cve *tls.CertificateVerificationError
	if !errors.As(err, &cve) {
		return err
	}
	e := &UntrustedCertificateError{Host: host, Err: cve, trusted: len(t.Certs), sources: strings.Join(t.Sources, ", ")}
	if len(cve.UnverifiedCertificates) > 0 {
		leaf := cve.UnverifiedCertificates[0]
		e.Subject, e.Issuer = leaf.Subject.String(), leaf.Issuer.String()
		e.SHA256 = fingerprint(leaf.Raw)
		e.NotBefore, e.NotAfter = leaf.NotBefore, leaf.NotAfter
	}
	return e
}

// WithTrust returns a clone of base that trusts t's certificates (as well
// as the roots base has), and explains failed verifications. It refuses a
// transport that skips verification. base stays unchanged; what it
// returns is not a [Transport], so it does not check addresses.
func WithTrust(base *http.Transport, t *Trust) (http.RoundTripper, error) {
	if base.TLSClientConfig != nil && base.TLSClientConfig.InsecureSkipVerify {
		return nil, errors.New("the transport given skips certificate verification (InsecureSkipVerify), so trusting certificates would change nothing: turn InsecureSkipVerify off")
	}
	c := base.Clone()
	c.TLSClientConfig = t.tlsConfig(c.TLSClientConfig)
	return &trusting{base: c, trust: t}, nil
}

// trusting sends requests through base and explains a certificate that
// failed verification.
type trusting struct {
	base  *http.Transport
	trust *Trust
}

func (t *trusting) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		err = t.trust.explain(req.URL.Host, err)
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the transport.
func (t *trusting) CloseIdleConnections() { t.base.CloseIdleConnections() }

// UntrustedCertificateError is a server certificate that failed
// verification on a client configured to trust certificates of its own
// (bearer.WithTrustedPEM). It names the certificate, so that it can be
// compared with the one expected (openssl x509 -noout -fingerprint -sha256
// -in cert.pem prints the same fingerprint), and says what to do. Err holds
// the *tls.CertificateVerificationError, whose chain has the x509 error
// (x509.UnknownAuthorityError, x509.HostnameError,
// x509.CertificateInvalidError). Requests that fail this way are never
// retried.
type UntrustedCertificateError struct {
	Host      string    // the host (and port) the client connected to
	Subject   string    // the server certificate's subject, such as CN=api.example.com,O=Example
	Issuer    string    // who signed it; the subject again for a self-signed certificate
	SHA256    string    // the SHA-256 fingerprint of the certificate, as colon-separated hex
	NotBefore time.Time // the start of its validity
	NotAfter  time.Time // the end of its validity
	Err       error     // the verification error

	trusted int    // how many certificates the client trusts by the options
	sources string // where they came from
}

// fingerprint returns the SHA-256 of der as upper-case hex pairs joined
// with colons, as openssl prints it.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// Error names the certificate and says what to do.
func (e *UntrustedCertificateError) Error() string {
	return fmt.Sprintf("bearer: the certificate of %s is not trusted (subject %q, issuer %q, SHA-256 %s): %v: %s",
		e.Host, e.Subject, e.Issuer, e.SHA256, e.Err, e.advice())
}

func (e *UntrustedCertificateError) advice() string {
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(e.Err, &host):
		return "the certificate does not name the host you connected to: connect with a name it lists, or give the server a certificate for this name"
	case errors.As(e.Err, &invalid) && invalid.Reason == x509.Expired:
		return fmt.Sprintf("it is valid from %s to %s only: renew the server's certificate, or check this machine's clock",
			e.NotBefore.UTC().Format(time.RFC3339), e.NotAfter.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("it is neither one of the certificates the client trusts (%d, from %s) nor signed by one: if this is the server you meant, check the fingerprint and trust its certificate or CA with WithTrustedPEM or WithTrustedPEMFile; if not, do not connect",
		e.trusted, e.sources)
}

// Unwrap returns the verification error.
func (e *UntrustedCertificateError) Unwrap() error { return e.Err }
