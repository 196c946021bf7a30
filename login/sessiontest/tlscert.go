package sessiontest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

const (
	// certBackdate starts a certificate's validity this long before its
	// creation, so a client whose clock runs a little behind still accepts it.
	certBackdate = time.Hour
	// certLifetime is how long a generated certificate is valid: longer than
	// any test run or demo, short enough that a leaked one soon means nothing.
	certLifetime = 24 * time.Hour
)

// SelfSignedCert makes a new self-signed ECDSA P-256 server certificate for
// hosts (IP addresses or DNS names; 127.0.0.1, ::1 and localhost when none
// are given), valid from an hour ago for a day. It returns the certificate
// and its PKCS #8 private key in PEM, and the pair as a [tls.Certificate]
// for a server. A client trusts exactly this certificate by adding certPEM to
// an [x509.CertPool] with AppendCertsFromPEM.
func SelfSignedCert(hosts ...string) (certPEM, keyPEM []byte, cert tls.Certificate, err error) {
	if len(hosts) == 0 {
		// Every way a client on this machine reaches an httptest server.
		hosts = []string{"127.0.0.1", "::1", "localhost"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, tls.Certificate{}, fmt.Errorf("sessiontest: generate key: %w", err)
	}
	tmpl, err := certTemplate(hosts)
	if err != nil {
		return nil, nil, tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, tls.Certificate{}, fmt.Errorf("sessiontest: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, tls.Certificate{}, fmt.Errorf("sessiontest: marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, tls.Certificate{}, fmt.Errorf("sessiontest: load key pair: %w", err)
	}
	return certPEM, keyPEM, cert, nil
}

// certTemplate describes a leaf server certificate for hosts.
func certTemplate(hosts []string) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("sessiontest: serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"bearer sessiontest"}, CommonName: hosts[0]},
		NotBefore:             now.Add(-certBackdate),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		switch ip := net.ParseIP(h); {
		case ip != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		case h == "" || strings.ContainsAny(h, ":/ "):
			return nil, fmt.Errorf("sessiontest: %q is neither an IP address nor a host name", h)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return tmpl, nil
}

// NewTLSServer starts an [httptest.Server] serving h over TLS with a fresh
// certificate from [SelfSignedCert], and returns that certificate in PEM:
// the seed's pubkey.pem, for a client to trust (bearer.WithTrustedPEM, or
// an [x509.CertPool] with AppendCertsFromPEM). The caller must Close the
// server.
func NewTLSServer(h http.Handler) (ts *httptest.Server, certPEM []byte, err error) {
	certPEM, _, cert, err := SelfSignedCert()
	if err != nil {
		return nil, nil, err
	}
	ts = httptest.NewUnstartedServer(h)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	return ts, certPEM, nil
}
