package oauth

import (
	"crypto/tls"
	"net/http"
)

// presentable returns cert if the transport of hc can present it: the
// SDK's own (hc nil, or with a nil Transport) or an *http.Transport,
// which the exchange clones. A transport of another type must present
// it itself ([ClientAuth.Certificate]).
func presentable(cert *tls.Certificate, hc *http.Client) *tls.Certificate {
	if hc == nil || hc.Transport == nil {
		return cert
	}
	if _, ok := hc.Transport.(*http.Transport); ok {
		return cert
	}
	return nil
}
