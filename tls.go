package bearer

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/bearer-go/bearer/internal/httpx"
)

// maxPEMBytes bounds a PEM file WithTrustedPEMFile reads: a bundle of every
// public CA is about 200 KiB, so 1 MiB (the module's figure) is plenty.
const maxPEMBytes = 1 << 20

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
		c.trusted = &httpx.Trust{}
	}
	c.trusted.Certs = append(c.trusted.Certs, certs...)
	if !slices.Contains(c.trusted.Sources, source) {
		c.trusted.Sources = append(c.trusted.Sources, source)
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
