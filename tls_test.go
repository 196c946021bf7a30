package bearer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/login/sessiontest"
)

// tlsCert is a certificate made for a test, with its key to sign others.
type tlsCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	pair tls.Certificate
}

// certSpec describes a test certificate.
type certSpec struct {
	cn        string
	hosts     []string  // DNS names and IP addresses; none for a CA
	ca        bool      // may sign other certificates
	notBefore time.Time // zero: an hour ago
	notAfter  time.Time // zero: in a day
}

// makeCert issues a certificate for spec, signed by parent (self-signed if
// nil).
func makeCert(t *testing.T, spec certSpec, parent *tlsCert) *tlsCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.cn, Organization: []string{"bearer tls test"}},
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if spec.ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	for _, h := range spec.hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	c := &tlsCert{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	c.pair = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	return c
}

// tlsServer serves a JSON greeting over TLS with cert and counts TLS
// handshakes begun.
type tlsServer struct {
	*httptest.Server
	hellos atomic.Int64
}

func newTLSServer(t *testing.T, cert tls.Certificate) *tlsServer {
	t.Helper()
	s := &tlsServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"hello":"tls"}`)
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	s.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			s.hellos.Add(1)
			return nil, nil
		},
	}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// greet makes one GET / with a client built with opts.
func greet(t *testing.T, url string, opts ...bearer.Option) error {
	t.Helper()
	opts = append([]bearer.Option{bearer.WithRetryWait(time.Millisecond, time.Millisecond)}, opts...)
	c, err := bearer.NewClient(url, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	var got struct{ Hello string }
	if err := c.Get(ctx, "/", &got); err != nil {
		return err
	}
	if got.Hello != "tls" {
		t.Errorf("GET / = %+v; want hello tls", got)
	}
	return nil
}

func sha256Hex(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func TestTrustedPEMSelfSigned(t *testing.T) {
	certPEM, _, pair, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	srv := newTLSServer(t, pair)
	if err := greet(t, srv.URL, bearer.WithTrustedPEM(certPEM)); err != nil {
		t.Errorf("GET with the server's certificate trusted: %v; want success", err)
	}
}

func TestTrustedPEMFile(t *testing.T) {
	certPEM, _, pair, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	srv := newTLSServer(t, pair)
	path := filepath.Join(t.TempDir(), "pubkey.pem")
	if err := os.WriteFile(path, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := greet(t, srv.URL, bearer.WithTrustedPEMFile(path)); err != nil {
		t.Errorf("GET with WithTrustedPEMFile(%q): %v; want success", path, err)
	}
}

func TestTrustedCA(t *testing.T) {
	ca := makeCert(t, certSpec{cn: "Test Root CA", ca: true}, nil)
	leaf := makeCert(t, certSpec{cn: "localhost", hosts: []string{"127.0.0.1", "localhost"}}, ca)
	srv := newTLSServer(t, leaf.pair)
	if err := greet(t, srv.URL, bearer.WithTrustedPEM(ca.pem)); err != nil {
		t.Errorf("GET trusting the issuing CA: %v; want success", err)
	}
}

func TestTrustedPEMAddsUp(t *testing.T) {
	a, b := makeCert(t, certSpec{cn: "a", hosts: []string{"127.0.0.1"}}, nil), makeCert(t, certSpec{cn: "b", hosts: []string{"127.0.0.1"}}, nil)
	srvA, srvB := newTLSServer(t, a.pair), newTLSServer(t, b.pair)
	both := []bearer.Option{bearer.WithTrustedPEM(a.pem), bearer.WithTrustedPEM(b.pem)}
	for _, url := range []string{srvA.URL, srvB.URL} {
		if err := greet(t, url, both...); err != nil {
			t.Errorf("GET %s trusting both certificates: %v; want success", url, err)
		}
	}
}

// TestUntrustedCertificateError checks that each kind of failure names the
// server's certificate, says what to do, keeps the x509 error in the chain,
// and is not retried.
func TestUntrustedCertificateError(t *testing.T) {
	trusted := makeCert(t, certSpec{cn: "the expected server", hosts: []string{"127.0.0.1"}}, nil)
	tests := []struct {
		name       string
		serve      *tlsCert
		trust      []byte
		wantAdvice string
		wantX509   func(error) bool
	}{
		{
			name:       "another certificate",
			serve:      makeCert(t, certSpec{cn: "an impostor", hosts: []string{"127.0.0.1"}}, nil),
			trust:      trusted.pem,
			wantAdvice: "neither one of the certificates the client trusts (1, from PEM data) nor signed by one",
			wantX509:   func(err error) bool { var e x509.UnknownAuthorityError; return errors.As(err, &e) },
		},
		{
			name:       "wrong host",
			serve:      makeCert(t, certSpec{cn: "api.test", hosts: []string{"api.test"}}, nil),
			wantAdvice: "does not name the host you connected to",
			wantX509:   func(err error) bool { var e x509.HostnameError; return errors.As(err, &e) },
		},
		{
			name: "expired",
			serve: makeCert(t, certSpec{cn: "old", hosts: []string{"127.0.0.1"},
				notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}, nil),
			wantAdvice: "renew the server's certificate, or check this machine's clock",
			wantX509:   func(err error) bool { var e x509.CertificateInvalidError; return errors.As(err, &e) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTLSServer(t, tt.serve.pair)
			trust := tt.trust
			if trust == nil {
				trust = tt.serve.pem // trusted, yet failing for another reason
			}
			err := greet(t, srv.URL, bearer.WithTrustedPEM(trust))
			var ue *bearer.UntrustedCertificateError
			if !errors.As(err, &ue) {
				t.Fatalf("GET = %v; want an *UntrustedCertificateError", err)
			}
			fp := sha256Hex(tt.serve.cert.Raw)
			if ue.SHA256 != fp || ue.Subject != tt.serve.cert.Subject.String() || ue.Issuer != tt.serve.cert.Issuer.String() {
				t.Errorf("error names %q issued by %q (%s); want %q issued by %q (%s)",
					ue.Subject, ue.Issuer, ue.SHA256, tt.serve.cert.Subject, tt.serve.cert.Issuer, fp)
			}
			msg := err.Error()
			for _, want := range []string{fp, "CN=" + tt.serve.cert.Subject.CommonName, strings.TrimPrefix(srv.URL, "https://"), tt.wantAdvice} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			if !tt.wantX509(err) {
				t.Errorf("errors.As cannot find the x509 error in %v", err)
			}
			if n := srv.hellos.Load(); n != 1 {
				t.Errorf("server saw %d TLS handshakes; want 1 (a certificate failure is not retried)", n)
			}
		})
	}
}

func TestTrustedPEMKeepsGivenTransport(t *testing.T) {
	a, b := makeCert(t, certSpec{cn: "a", hosts: []string{"127.0.0.1"}}, nil), makeCert(t, certSpec{cn: "b", hosts: []string{"127.0.0.1"}}, nil)
	srvA, srvB := newTLSServer(t, a.pair), newTLSServer(t, b.pair)
	rootsA := x509.NewCertPool()
	rootsA.AddCert(a.cert)
	given := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: rootsA, MinVersion: tls.VersionTLS12}}
	t.Cleanup(given.CloseIdleConnections)
	hc := &http.Client{Transport: given}
	for _, url := range []string{srvA.URL, srvB.URL} {
		// The option comes first: the order of options does not matter.
		if err := greet(t, url, bearer.WithTrustedPEM(b.pem), bearer.WithHTTPClient(hc)); err != nil {
			t.Errorf("GET %s with the given transport's root and the trusted one: %v; want success", url, err)
		}
	}
	if given.TLSClientConfig.RootCAs != rootsA || hc.Transport != given {
		t.Error("the given client or transport was modified; want it left as it was")
	}
	if !rootsA.Equal(func() *x509.CertPool { p := x509.NewCertPool(); p.AddCert(a.cert); return p }()) {
		t.Error("the given transport's RootCAs gained a certificate; want it left as it was")
	}
}

func TestTrustedPEMRefuses(t *testing.T) {
	certPEM, keyPEM, _, err := sessiontest.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	custom := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("unused") })}
	skipping := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the case refused
	tests := []struct {
		name string
		opts []bearer.Option
		want string
	}{
		{"no certificate", []bearer.Option{bearer.WithTrustedPEM([]byte("not PEM"))}, "no CERTIFICATE block"},
		{"private key", []bearer.Option{bearer.WithTrustedPEM(append(append([]byte{}, certPEM...), keyPEM...))}, "PEM block 2 is a PRIVATE KEY: pass only the certificate"},
		{"bad certificate", []bearer.Option{bearer.WithTrustedPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}))}, "PEM block 1 is not a valid certificate"},
		{"missing file", []bearer.Option{bearer.WithTrustedPEMFile(filepath.Join(dir, "nope.pem"))}, "nope.pem"},
		{"key file", []bearer.Option{bearer.WithTrustedPEMFile(write("key.pem", keyPEM))}, "a client never needs the server's key"},
		{"custom transport", []bearer.Option{bearer.WithHTTPClient(custom), bearer.WithTrustedPEM(certPEM)}, "bearer_test.roundTripFunc transport, not an *http.Transport"},
		{"verification off", []bearer.Option{bearer.WithTrustedPEM(certPEM), bearer.WithHTTPClient(skipping)}, "skips certificate verification (InsecureSkipVerify)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := bearer.NewClient("https://api.example.com", tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewClient = %v, %v; want an error containing %q", c, err, tt.want)
			}
		})
	}
}

func TestTrustedPEMFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.pem")
	if err := os.WriteFile(path, make([]byte, 1<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bearer.NewClient("https://api.example.com", bearer.WithTrustedPEMFile(path)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("NewClient(WithTrustedPEMFile(huge)) error = %v; want one saying it is too large", err)
	}
}
