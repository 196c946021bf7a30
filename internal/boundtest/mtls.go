package boundtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// certLifetime is how long the test certificates are valid: a test lasts
// seconds; a day leaves room for clocks that disagree.
const certLifetime = 24 * time.Hour

// A CA issues client certificates, for tls_client_auth (RFC 8705 2.1).
type CA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA.
func NewCA(t testing.TB) *CA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "boundtest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(certLifetime),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{cert: cert, key: key}
}

// Issue returns a client certificate for cn, signed by the CA.
func (ca *CA) Issue(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	return newCert(t, cn, ca.cert, ca.key)
}

// SelfSigned returns a self-signed client certificate for cn, for
// self_signed_tls_client_auth (RFC 8705 2.2).
func SelfSigned(t testing.TB, cn string) tls.Certificate {
	t.Helper()
	return newCert(t, cn, nil, nil)
}

func newCert(t testing.TB, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(certLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// x5t is the x5t#S256 of a certificate (RFC 8705 3.1), computed here.
func x5t(der []byte) string {
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// MTLS is an authorization server and a resource server on one httptest
// TLS server that asks every client for a certificate (RFC 8705):
//
//   - POST /token: client_credentials for the clients registered with
//     [MTLS.AddPKIClient] (tls_client_auth: a certificate the CA issued,
//     whose subject is the registered DN, RFC 8705 2.1.2) or
//     [MTLS.AddSelfSignedClient] (self_signed_tls_client_auth: the
//     registered certificate itself, RFC 8705 2.2.2). The client is
//     identified by client_id; a request that carries a client secret or
//     assertion is refused. Access tokens are JWTs bound to the
//     certificate presented: cnf.x5t#S256 (RFC 8705 3.1).
//   - /.well-known/oauth-authorization-server: metadata naming the
//     token endpoint of Plain as token_endpoint and this one in
//     mtls_endpoint_aliases (RFC 8705 5).
//   - any other path: the API, which takes a bound token only from a
//     client presenting the certificate it is bound to (RFC 8705 3), and
//     answers 401 Bearer error="invalid_token" otherwise.
type MTLS struct {
	URL string
	// Plain is a second server, which asks for no certificate: the
	// conventional token endpoint that mtls_endpoint_aliases replaces.
	// Every token request it gets is refused (invalid_client).
	Plain *httptest.Server
	// Roots trusts both servers' certificates.
	Roots *x509.CertPool

	ca  *CA
	srv *httptest.Server
	key []byte // signs the access tokens

	mu      sync.Mutex        // guards the fields below
	clients map[string]string // client_id → "dn:<subject>" or "x5t:<thumbprint>"
	access  map[string]string // access token → x5t#S256
	tokens  int               // token requests to this server
	plain   int               // token requests to Plain
	api     int               // API requests
}

// NewMTLS starts an MTLS server that verifies PKI certificates with ca,
// closed when t ends.
func NewMTLS(t testing.TB, ca *CA) *MTLS {
	t.Helper()
	s := &MTLS{ca: ca, key: []byte(rand.Text()), clients: map[string]string{}, access: map[string]string{}}
	srv := httptest.NewUnstartedServer(s)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.Plain = httptest.NewTLSServer(http.HandlerFunc(s.plainToken))
	t.Cleanup(s.Plain.Close)
	s.URL, s.srv = srv.URL, srv
	s.Roots = x509.NewCertPool()
	s.Roots.AddCert(srv.Certificate())
	s.Roots.AddCert(s.Plain.Certificate())
	return s
}

// AddPKIClient registers a tls_client_auth client whose certificate's
// subject is dn.
func (s *MTLS) AddPKIClient(id, dn string) {
	s.mu.Lock()
	s.clients[id] = "dn:" + dn
	s.mu.Unlock()
}

// AddSelfSignedClient registers a self_signed_tls_client_auth client and
// its certificate.
func (s *MTLS) AddSelfSignedClient(id string, cert tls.Certificate) {
	s.mu.Lock()
	s.clients[id] = "x5t:" + x5t(cert.Certificate[0])
	s.mu.Unlock()
}

// Counts returns the token requests to this server and to Plain, and the
// API requests.
func (s *MTLS) Counts() (token, plain, api int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens, s.plain, s.api
}

// Issuer is the issuer of the metadata: the Plain server.
func (s *MTLS) Issuer() string { return s.Plain.URL }

func (s *MTLS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/token":
		s.token(w, r)
	default:
		s.resource(w, r)
	}
}

func (s *MTLS) plainToken(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/oauth-authorization-server" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": s.Plain.URL, "token_endpoint": s.Plain.URL + "/token",
			"token_endpoint_auth_methods_supported":      []string{"tls_client_auth", "self_signed_tls_client_auth", "client_secret_basic"},
			"mtls_endpoint_aliases":                      map[string]string{"token_endpoint": s.URL + "/token"},
			"tls_client_certificate_bound_access_tokens": true,
		})
		return
	}
	s.mu.Lock()
	s.plain++
	s.mu.Unlock()
	oauthError(w, http.StatusUnauthorized, "invalid_client", "No client certificate: use the mtls_endpoint_aliases")
}

func (s *MTLS) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokens++
	reg := s.clients[r.PostFormValue("client_id")]
	s.mu.Unlock()
	if r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	_, _, basic := r.BasicAuth()
	if basic || r.PostForm.Has("client_secret") || r.PostForm.Has("client_assertion") {
		oauthError(w, http.StatusBadRequest, "invalid_request", "A client authenticated by its certificate sends no other credentials")
		return
	}
	peer := r.TLS.PeerCertificates[0] // RequireAnyClientCert
	if err := s.authenticate(reg, r.TLS.PeerCertificates); err != nil {
		oauthError(w, http.StatusUnauthorized, "invalid_client", err.Error())
		return
	}
	thumb := x5t(peer.Raw)
	at, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": r.PostForm.Get("client_id"), "jti": rand.Text(),
		"exp": time.Now().Add(tokenLifetime).Unix(), "cnf": map[string]string{"x5t#S256": thumb}}).SignedString(s.key)
	s.mu.Lock()
	s.access[at] = thumb
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(tokenLifetime / time.Second)})
}

// authenticate checks the certificate chain a client presented against
// its registration reg.
func (s *MTLS) authenticate(reg string, chain []*x509.Certificate) error {
	switch {
	case reg == "":
		return fmt.Errorf("unknown client")
	case reg[:4] == "x5t:":
		if x5t(chain[0].Raw) != reg[4:] {
			return fmt.Errorf("the certificate is not the one registered")
		}
		return nil
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.ca.cert)
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("the certificate was not issued by a trusted CA")
	}
	if chain[0].Subject.String() != reg[3:] {
		return fmt.Errorf("the certificate's subject is %q, not the registered one", chain[0].Subject.String())
	}
	return nil
}

func (s *MTLS) resource(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.api++
	thumb, known := s.access[bearerValue(r, "Bearer")]
	s.mu.Unlock()
	if !known || x5t(r.TLS.PeerCertificates[0].Raw) != thumb {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The token is not bound to the certificate presented"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{}`)
}

// ServerCertificate returns the certificate the server (not Plain)
// presents.
func (s *MTLS) ServerCertificate() *x509.Certificate { return s.srv.Certificate() }
