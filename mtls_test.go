package bearer_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/boundtest"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// mtlsSetup starts a server that binds tokens to client certificates,
// and a Refresher of tokens bound to cert (tls_client_auth).
func mtlsSetup(t *testing.T) (*boundtest.MTLS, *boundtest.CA, tls.Certificate, *tokenrefresh.Refresher) {
	t.Helper()
	ca := boundtest.NewCA(t)
	srv := boundtest.NewMTLS(t, ca)
	cert := ca.Issue(t, "pki-client")
	srv.AddPKIClient("pki-client", "CN=pki-client")
	r := startRefresher(t, oauth.ClientCredentialsConfig{
		TokenURL: srv.URL + "/token",
		Client:   oauth.ClientAuth{Method: oauth.TLSClientAuth, ID: "pki-client", Certificate: secret.New(&cert)},
		Settings: oauth.Settings{HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srv.Roots}}}},
	})
	return srv, ca, cert, r
}

// serverPEM returns the certificate of srv's API in PEM, to trust.
func serverPEM(srv *boundtest.MTLS) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.ServerCertificate().Raw})
}

// A certificate-bound token goes to the API from a client that presents
// the same certificate (WithClientCertificate), and the API accepts it.
func TestCertificateBoundTokenOnAPICalls(t *testing.T) {
	srv, _, cert, r := mtlsSetup(t)
	c := newClient(t, srv.URL, bearer.WithTokenSource(r), bearer.WithTrustedPEM(serverPEM(srv)),
		bearer.WithClientCertificate(secret.New(&cert)), bearer.WithRetryMax(0))
	for range 2 {
		if err := c.Get(context.Background(), "/items", nil); err != nil {
			t.Fatalf("Get = %v", err)
		}
	}
	if _, _, api := srv.Counts(); api != 2 {
		t.Errorf("the API saw %d requests; want 2", api)
	}
}

// A bound token is not sent by a client that presents no certificate, or
// another one: the error says which certificate to give, and nothing is
// sent.
func TestCertificateBoundTokenRefusedWithoutItsCertificate(t *testing.T) {
	srv, ca, _, r := mtlsSetup(t)
	other := ca.Issue(t, "pki-client")
	for name, tc := range map[string]struct {
		opts []bearer.Option
		want string
	}{
		"no certificate":      {nil, "presents none"},
		"another certificate": {[]bearer.Option{bearer.WithClientCertificate(secret.New(&other))}, "but the client presents"},
	} {
		opts := append([]bearer.Option{bearer.WithTokenSource(r), bearer.WithTrustedPEM(serverPEM(srv)), bearer.WithRetryMax(0)}, tc.opts...)
		err := newClient(t, srv.URL, opts...).Get(context.Background(), "/items", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "WithClientCertificate") {
			t.Errorf("%s: Get = %v; want an error saying %q and what to give", name, err, tc.want)
		}
	}
	if _, _, api := srv.Counts(); api != 0 {
		t.Errorf("the API saw %d requests; want none", api)
	}
}

// WithClientCertificate refuses a certificate without its key, and a
// transport it cannot add the certificate to.
func TestWithClientCertificateRefuses(t *testing.T) {
	cert := boundtest.SelfSigned(t, "c")
	noKey := tls.Certificate{Certificate: cert.Certificate}
	if _, err := bearer.NewClient("https://api.example.com", bearer.WithClientCertificate(secret.New(&noKey))); err == nil {
		t.Error("NewClient(certificate without key) succeeded; want an error")
	}
	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("unused") })}
	if _, err := bearer.NewClient("https://api.example.com", bearer.WithHTTPClient(hc), bearer.WithClientCertificate(secret.New(&cert))); err == nil {
		t.Error("NewClient(a transport of another type, WithClientCertificate) succeeded; want an error")
	}
}

// A request that cannot be sent, because the token is bound to a
// certificate the client does not present or to a DPoP key it does not
// have, is not retried: retrying cannot change it, and the client's
// default retries made the caller wait about five seconds for the same
// error (seen against oidc-provider). Each attempt asks the source for a
// token, so one token fetch means one attempt.
func TestUnsendableRequestIsNotRetried(t *testing.T) {
	srv, ca, _, r := mtlsSetup(t)
	other := ca.Issue(t, "pki-client")
	dpopSrv, _, dpopR := dpopSetup(t)
	for name, tc := range map[string]struct {
		url  string
		src  bearer.TokenSource
		opts []bearer.Option
	}{
		"no certificate":      {srv.URL, r, []bearer.Option{bearer.WithTrustedPEM(serverPEM(srv))}},
		"another certificate": {srv.URL, r, []bearer.Option{bearer.WithTrustedPEM(serverPEM(srv)), bearer.WithClientCertificate(secret.New(&other))}},
		"no DPoP key":         {dpopSrv.URL, dpopR, nil},
	} {
		t.Run(name, func(t *testing.T) {
			var fetches atomic.Int64
			counted := bearer.TokenSourceFunc(func(ctx context.Context) (*oauth2.Token, error) {
				fetches.Add(1)
				return tc.src.Token(ctx)
			})
			err := newClient(t, tc.url, append(tc.opts, bearer.WithTokenSource(counted))...).Get(context.Background(), "/items", nil)
			if err == nil || fetches.Load() != 1 {
				t.Errorf("Get = %v after %d attempts; want the error after one attempt", err, fetches.Load())
			}
		})
	}
}
