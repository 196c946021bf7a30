package bearer

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// maxPEMBytes bounds a PEM file WithTrustedPEMFile reads: a bundle of every
// public CA is about 200 KiB, so 1 MiB (the module's figure) is plenty.
const maxPEMBytes = 1 << 20

// trustedCerts are the certificates given with WithTrustedPEM and
// WithTrustedPEMFile, added to the roots of the client's transport.
type trustedCerts struct {
	certs   []*x509.Certificate
	sources []string // where they came from, for messages: "PEM data", a file name
}

// WithTrustedPEM makes the client trust the certificates in pem: a
// server's own self-signed certificate, or the CA that issued it, as the
// requests library's verify='pubkey.pem' does. pem holds one or more
// CERTIFICATE blocks; a private key in it is refused, since a client never
// needs the server's key.
//
// The certificates become the roots the client verifies servers against,
// in place of the system's roots (a transport given with [WithHTTPClient]
// that has its own RootCAs keeps them, and gets these added). They are
// added to the client's own transport, or to a clone of the
// *http.Transport of a client given with WithHTTPClient, which is left
// unchanged; a transport of another type cannot be configured, and
// [NewClient] then fails. Verification is never turned off: a transport
// with InsecureSkipVerify is refused too.
//
// When a server's certificate fails verification, the request fails with
// an [*UntrustedCertificateError] naming the certificate (subject, issuer,
// SHA-256 fingerprint) and saying what to do. The option may be given
// several times; the certificates add up.
func WithTrustedPEM(pem []byte) Option {
	return func(c *Client) error {
		return c.trust(pem, "PEM data", "WithTrustedPEM")
	}
}

// WithTrustedPEMFile is [WithTrustedPEM] with the PEM read from the file at
// path, such as the server's pubkey.pem or a company CA bundle. The file
// is read once, by [NewClient].
func WithTrustedPEMFile(path string) Option {
	return func(c *Client) error {
		data, err := readPEMFile(path)
		if err != nil {
			return fmt.Errorf("bearer: WithTrustedPEMFile(%q): %w", path, err)
		}
		return c.trust(data, path, fmt.Sprintf("WithTrustedPEMFile(%q)", path))
	}
}

func readPEMFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEMBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEMBytes {
		return nil, fmt.Errorf("the file is larger than %d bytes, which is no certificate file", maxPEMBytes)
	}
	return data, nil
}

// trust parses the certificates in data and records them for applyTrust.
func (c *Client) trust(data []byte, source, option string) error {
	certs, err := parseCertificates(data)
	if err != nil {
		return fmt.Errorf("bearer: %s: %w", option, err)
	}
	if c.trusted == nil {
		c.trusted = &trustedCerts{}
	}
	c.trusted.certs = append(c.trusted.certs, certs...)
	if !slices.Contains(c.trusted.sources, source) {
		c.trusted.sources = append(c.trusted.sources, source)
	}
	return nil
}

// parseCertificates returns every CERTIFICATE block of data.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		switch {
		case strings.Contains(block.Type, "PRIVATE KEY"):
			return nil, fmt.Errorf("PEM block %d is a %s: pass only the certificate; a client never needs the server's key", n, block.Type)
		case block.Type != "CERTIFICATE":
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d is not a valid certificate: %w", n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE block in the PEM data: pass the server's certificate or its CA in PEM form (-----BEGIN CERTIFICATE-----)")
	}
	return certs, nil
}

// applyTrust gives the client's transport the trusted certificates, if
// any: it replaces c.hc with a copy whose transport is a configured clone.
// NewClient calls it after the options, so their order does not matter.
func (c *Client) applyTrust() error {
	if c.trusted == nil {
		return nil
	}
	hc := &http.Client{}
	if c.hc != nil {
		*hc = *c.hc
	}
	var t *http.Transport
	switch base := hc.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	case *http.Transport:
		t = base.Clone()
	default:
		return fmt.Errorf("bearer: WithTrustedPEM: the client given with WithHTTPClient has a %T transport, not an *http.Transport, so the certificates cannot be added to it: add them to its tls.Config.RootCAs yourself, or give a client whose Transport is an *http.Transport", base)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
	}
	if cfg.InsecureSkipVerify {
		return errors.New("bearer: WithTrustedPEM: the transport given with WithHTTPClient skips certificate verification (InsecureSkipVerify), so trusting certificates would change nothing: turn InsecureSkipVerify off")
	}
	roots := x509.NewCertPool()
	if cfg.RootCAs != nil {
		roots = cfg.RootCAs.Clone()
	}
	for _, cert := range c.trusted.certs {
		roots.AddCert(cert)
	}
	cfg.RootCAs = roots
	t.TLSClientConfig = cfg
	hc.Transport = &trustTransport{base: t, trusted: c.trusted}
	c.hc = hc
	return nil
}

// trustTransport sends requests through base and explains a certificate
// that failed verification.
type trustTransport struct {
	base    *http.Transport
	trusted *trustedCerts
}

func (t *trustTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	var cve *tls.CertificateVerificationError
	if err != nil && errors.As(err, &cve) {
		return nil, newUntrustedCertificateError(req.URL.Host, cve, t.trusted)
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the transport.
func (t *trustTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// UntrustedCertificateError is a server certificate that failed
// verification on a client configured with [WithTrustedPEM] or
// [WithTrustedPEMFile]. It names the certificate, so that it can be
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

func newUntrustedCertificateError(host string, cve *tls.CertificateVerificationError, trusted *trustedCerts) *UntrustedCertificateError {
	e := &UntrustedCertificateError{Host: host, Err: cve, trusted: len(trusted.certs), sources: strings.Join(trusted.sources, ", ")}
	if len(cve.UnverifiedCertificates) > 0 {
		leaf := cve.UnverifiedCertificates[0]
		e.Subject, e.Issuer = leaf.Subject.String(), leaf.Issuer.String()
		e.SHA256 = fingerprint(leaf.Raw)
		e.NotBefore, e.NotAfter = leaf.NotBefore, leaf.NotAfter
	}
	return e
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
