package sessiontest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bearer-go/bearer/login/sessiontest"
)

func TestSelfSignedCertDefaults(t *testing.T) {
	certPEM, keyPEM, pair, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatalf("SelfSignedCert() error: %v", err)
	}
	block, rest := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 {
		t.Fatalf("certPEM is not one CERTIFICATE block: %q", certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key = %T; want ECDSA P-256", cert.PublicKey)
	}
	if cert.IsCA {
		t.Error("certificate is a CA; want a leaf that can sign nothing else")
	}
	if !slices.Equal(cert.DNSNames, []string{"localhost"}) {
		t.Errorf("DNSNames = %v; want [localhost]", cert.DNSNames)
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if !slices.ContainsFunc(cert.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("IPAddresses = %v; want %s among them", cert.IPAddresses, ip)
		}
	}
	now := time.Now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		t.Errorf("valid %v to %v; want now (%v) inside", cert.NotBefore, cert.NotAfter, now)
	}
	if kb, _ := pem.Decode(keyPEM); kb == nil || kb.Type != "PRIVATE KEY" {
		t.Errorf("keyPEM is not a PKCS #8 PRIVATE KEY block")
	}
	if len(pair.Certificate) != 1 || pair.PrivateKey == nil {
		t.Errorf("tls.Certificate has %d certificates and key %T; want 1 and a key", len(pair.Certificate), pair.PrivateKey)
	}
	for _, host := range []string{"127.0.0.1", "localhost", "::1"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%q): %v", host, err)
		}
	}
}

func TestSelfSignedCertIsFreshEachCall(t *testing.T) {
	a, _, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	b, _, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	if string(a) == string(b) {
		t.Error("two calls returned the same certificate")
	}
}

func TestSelfSignedCertHosts(t *testing.T) {
	certPEM, _, _, err := sessiontest.SelfSignedCert("api.test", "10.0.0.1")
	if err != nil {
		t.Fatalf("SelfSignedCert(api.test, 10.0.0.1): %v", err)
	}
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("api.test"); err != nil {
		t.Errorf("VerifyHostname(api.test): %v", err)
	}
	if err := cert.VerifyHostname("localhost"); err == nil {
		t.Error("VerifyHostname(localhost) = nil; want an error when only other hosts were asked for")
	}
	for _, bad := range []string{"", "127.0.0.1:443", "https://x", "a b"} {
		if _, _, _, err := sessiontest.SelfSignedCert(bad); err == nil {
			t.Errorf("SelfSignedCert(%q) = nil error; want one", bad)
		}
	}
}

func TestTLSClientMustTrustTheCertificate(t *testing.T) {
	f := setup(t)

	untrusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}}
	t.Cleanup(untrusting.CloseIdleConnections)
	_, err := untrusting.Get(f.ts.URL + "/get-info")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("GET with the system roots: error %v; want x509.UnknownAuthorityError", err)
	}

	// A second server's certificate does not open the first server.
	otherPEM, _, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	otherPool := x509.NewCertPool()
	otherPool.AppendCertsFromPEM(otherPEM)
	wrong := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: otherPool}}}
	t.Cleanup(wrong.CloseIdleConnections)
	if _, err := wrong.Get(f.ts.URL + "/get-info"); !errors.As(err, &unknown) {
		t.Errorf("GET trusting another certificate: error %v; want x509.UnknownAuthorityError", err)
	}

	if got := f.get(t, f.client(t), "/login"); got.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /login trusting the server's certificate = %d; want 405 (reached the server)", got.status)
	}
}
