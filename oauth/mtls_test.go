package oauth_test

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/bound"
	"github.com/bearer-go/bearer/internal/boundtest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
)

// trusting returns an HTTP client that trusts srv's certificates and
// presents none of its own.
func trusting(srv *boundtest.MTLS) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.Roots}}}
}

func mtlsClientCredentials(t *testing.T, srv *boundtest.MTLS, cfg oauth.ClientCredentialsConfig) *oauth.ClientCredentials {
	t.Helper()
	cfg.HTTPClient = trusting(srv)
	cc, err := oauth.NewClientCredentials(cfg)
	if err != nil {
		t.Fatalf("NewClientCredentials: %v", err)
	}
	return cc
}

// tls_client_auth and self_signed_tls_client_auth authenticate with the
// certificate presented in the handshake and the client_id, no secret
// (the server refuses a request that carries one), and the server binds
// the token to the certificate (cnf.x5t#S256).
func TestMTLSClientAuthentication(t *testing.T) {
	ca := boundtest.NewCA(t)
	srv := boundtest.NewMTLS(t, ca)
	pki := ca.Issue(t, "pki-client")
	self := boundtest.SelfSigned(t, "self-client")
	srv.AddPKIClient("pki-client", "CN=pki-client")
	srv.AddSelfSignedClient("self-client", self)
	for name, c := range map[string]oauth.ClientAuth{
		"tls_client_auth":             {Method: oauth.TLSClientAuth, ID: "pki-client", Certificate: secret.New(&pki)},
		"self_signed_tls_client_auth": {Method: oauth.SelfSignedTLSClientAuth, ID: "self-client", Certificate: secret.New(&self)},
	} {
		t.Run(name, func(t *testing.T) {
			cc := mtlsClientCredentials(t, srv, oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: c})
			tok, err := cc.Token(bounded(t))
			if err != nil {
				t.Fatalf("Token() = %v", err)
			}
			if got, want := bound.Of(tok.AccessToken).X5T, bound.CertThumbprint(c.Certificate.Reveal().Certificate[0]); got != want {
				t.Errorf("cnf.x5t#S256 = %q; want the certificate's %q", got, want)
			}
		})
	}
}

// A certificate the server does not accept for the client is
// invalid_client: a self-signed one where the CA's is registered, or
// another self-signed one.
func TestMTLSWrongCertificate(t *testing.T) {
	ca := boundtest.NewCA(t)
	srv := boundtest.NewMTLS(t, ca)
	srv.AddPKIClient("pki-client", "CN=pki-client")
	srv.AddSelfSignedClient("self-client", boundtest.SelfSigned(t, "self-client"))
	stranger := boundtest.SelfSigned(t, "pki-client")
	other := ca.Issue(t, "someone-else")
	for name, c := range map[string]oauth.ClientAuth{
		"self-signed for a PKI client": {Method: oauth.TLSClientAuth, ID: "pki-client", Certificate: secret.New(&stranger)},
		"another subject":              {Method: oauth.TLSClientAuth, ID: "pki-client", Certificate: secret.New(&other)},
		"another self-signed":          {Method: oauth.SelfSignedTLSClientAuth, ID: "self-client", Certificate: secret.New(&stranger)},
	} {
		_, err := mtlsClientCredentials(t, srv, oauth.ClientCredentialsConfig{TokenURL: srv.URL + "/token", Client: c}).Token(bounded(t))
		if !errors.Is(err, oauth.ErrInvalidClient) {
			t.Errorf("%s: Token() = %v; want ErrInvalidClient", name, err)
		}
	}
}

// A client with a certificate calls the endpoints of the metadata's
// mtls_endpoint_aliases (RFC 8705 5); one without calls the conventional
// ones.
func TestMTLSEndpointAliases(t *testing.T) {
	ca := boundtest.NewCA(t)
	srv := boundtest.NewMTLS(t, ca)
	cert := ca.Issue(t, "pki-client")
	srv.AddPKIClient("pki-client", "CN=pki-client")
	md, err := oauth.Discover(bounded(t), srv.Issuer(), oauth.Settings{HTTPClient: trusting(srv)})
	if err != nil {
		t.Fatalf("Discover = %v", err)
	}
	if !md.TLSClientCertificateBoundAccessTokens || md.MTLSEndpointAliases["token_endpoint"] != srv.URL+"/token" {
		t.Errorf("metadata = %+v; want the mtls alias and bound tokens", md)
	}
	cc := mtlsClientCredentials(t, srv, oauth.ClientCredentialsConfig{Metadata: md,
		Client: oauth.ClientAuth{Method: oauth.TLSClientAuth, ID: "pki-client", Certificate: secret.New(&cert)}})
	if _, err := cc.Token(bounded(t)); err != nil {
		t.Fatalf("Token() through the alias = %v", err)
	}
	noCert := mtlsClientCredentials(t, srv, oauth.ClientCredentialsConfig{Metadata: md, Client: basicAuth()})
	if _, err := noCert.Token(bounded(t)); !errors.Is(err, oauth.ErrInvalidClient) {
		t.Errorf("Token() without a certificate = %v; want the conventional endpoint's invalid_client", err)
	}
	if token, plain, _ := srv.Counts(); token != 1 || plain != 1 {
		t.Errorf("the mtls endpoint saw %d requests and the conventional one %d; want 1 and 1", token, plain)
	}
}

// The certificate methods refuse what cannot work, before any I/O.
func TestMTLSValidation(t *testing.T) {
	cert := boundtest.SelfSigned(t, "c")
	noKey := tls.Certificate{Certificate: cert.Certificate}
	for name, tc := range map[string]struct {
		c    oauth.ClientAuth
		want string
	}{
		"no certificate": {oauth.ClientAuth{Method: oauth.TLSClientAuth, ID: "c"}, "needs Client.Certificate"},
		"a secret too":   {oauth.ClientAuth{Method: oauth.SelfSignedTLSClientAuth, ID: "c", Certificate: secret.New(&cert), Secret: secret.New("s")}, "leave Client.Secret"},
		"no private key": {oauth.ClientAuth{Method: oauth.TLSClientAuth, ID: "c", Certificate: secret.New(&noKey)}, "private key"},
		"no id":          {oauth.ClientAuth{Method: oauth.TLSClientAuth, Certificate: secret.New(&cert)}, "Client.ID"},
	} {
		_, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: "https://as.example/token", Client: tc.c})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewClientCredentials = %v; want an error saying %q", name, err, tc.want)
		}
	}
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{TokenURL: "http://127.0.0.1:1/token",
		Client: oauth.ClientAuth{Method: oauth.TLSClientAuth, ID: "c", Certificate: secret.New(&cert)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cc.Token(bounded(t)); err == nil || !strings.Contains(err.Error(), "must be https") {
		t.Errorf("Token() over plain http = %v; want an error saying it must be https", err)
	}
}
