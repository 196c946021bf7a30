package seed002

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
)

// Client returns an HTTP client without a cookie jar that trusts exactly
// the certificate in certPEM, to send a server raw requests. The caller
// should CloseIdleConnections when done.
func Client(certPEM []byte) (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("seed002: the certificate does not parse")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &http.Client{Transport: tr}, nil
}
