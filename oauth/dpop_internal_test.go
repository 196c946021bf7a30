package oauth

import "testing"

// The thumbprint of RFC 7638 3.1's example key is the one the RFC gives.
func TestJWKThumbprintRFC7638Example(t *testing.T) {
	jwk := map[string]string{
		"kty": "RSA",
		"e":   "AQAB",
		"n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP" +
			"ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY" +
			"368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f" +
			"M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
	}
	if got, want := jwkThumbprint(jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("jwkThumbprint(RFC 7638 3.1 key) = %q; want %q", got, want)
	}
}

// The ath of RFC 9449 7.1's example token is the one the RFC gives.
func TestAccessTokenHashRFC9449Example(t *testing.T) {
	if got, want := AccessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"; got != want {
		t.Errorf("AccessTokenHash(RFC 9449 7.1 token) = %q; want %q", got, want)
	}
}
