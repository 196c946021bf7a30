package oauth

import (
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
)

// The checks of a Config against the server's [Metadata]. Each looks at a
// list only when the server gives it: many servers leave lists out that
// RFC 8414 2 gives defaults for, yet support more than the defaults.

// supports checks that the server offers grant at its token endpoint, with
// the client's authentication, and the DPoP key d's algorithm if d is set.
func (m *Metadata) supports(grant string, c ClientAuth, d *DPoP) error {
	if m == nil {
		return nil
	}
	if len(m.GrantTypesSupported) > 0 && !slices.Contains(m.GrantTypesSupported, grant) {
		return fmt.Errorf("oauth: the server %s does not offer the %s grant (grant_types_supported: %s): enable it on the server, or use a grant it offers",
			m.Issuer, grant, listed(m.GrantTypesSupported))
	}
	if d != nil && len(m.DPoPSigningAlgValuesSupported) > 0 && !slices.Contains(m.DPoPSigningAlgValuesSupported, d.alg) {
		return fmt.Errorf("oauth: the server %s takes DPoP proofs signed with %s, not %s (RFC 9449 5.1): give DPoPConfig a key and Algorithm for one of those",
			m.Issuer, listed(m.DPoPSigningAlgValuesSupported), d.alg)
	}
	return m.supportsAuth("token", m.TokenEndpointAuthMethodsSupported, m.TokenEndpointAuthSigningAlgValuesSupported, c)
}

// supportsAuth checks the client's authentication against the methods
// and assertion algorithms an endpoint takes.
func (m *Metadata) supportsAuth(endpoint string, methods, algs []string, c ClientAuth) error {
	if m == nil || c.Method == "" {
		return nil
	}
	if len(methods) > 0 && !slices.Contains(methods, string(c.Method)) {
		return fmt.Errorf("oauth: the server %s takes client authentication %s at its %s endpoint, not %s: set Client.Method to one of those",
			m.Issuer, listed(methods), endpoint, c.Method)
	}
	alg := c.jwsAlg()
	if alg == "" || len(algs) == 0 || slices.Contains(algs, alg) {
		return nil
	}
	return fmt.Errorf("oauth: the server %s takes client assertions signed with %s at its %s endpoint, not %s: %s",
		m.Issuer, listed(algs), endpoint, alg, algAdvice(c, algs))
}

// supportsRevocation checks the client's authentication at the
// revocation endpoint (RFC 8414 2).
func (m *Metadata) supportsRevocation(c ClientAuth) error {
	if m == nil {
		return nil
	}
	return m.supportsAuth("revocation", m.RevocationEndpointAuthMethodsSupported, m.RevocationEndpointAuthSigningAlgValuesSupported, c)
}

// supportsIntrospection checks the client's authentication at the
// introspection endpoint (RFC 8414 2).
func (m *Metadata) supportsIntrospection(c ClientAuth) error {
	if m == nil {
		return nil
	}
	return m.supportsAuth("introspection", m.IntrospectionEndpointAuthMethodsSupported, m.IntrospectionEndpointAuthSigningAlgValuesSupported, c)
}

// jwsAlg returns the alg of the client's assertions, or "" if it sends
// none.
func (c *ClientAuth) jwsAlg() string {
	switch c.Method {
	case ClientSecretJWT:
		return "HS256"
	case PrivateKeyJWT:
		alg, _ := signingAlg(c.Key.Reveal(), c.Algorithm, "Client.")
		return alg
	}
	return ""
}

// algAdvice says what to change when the server takes none of the
// client's algorithms.
func algAdvice(c ClientAuth, algs []string) string {
	if c.Method == PrivateKeyJWT {
		if _, isRSA := c.Key.Reveal().Public().(*rsa.PublicKey); isRSA {
			for _, a := range []string{algRS256, algPS256} {
				if slices.Contains(algs, a) {
					return "set Client.Algorithm to " + a
				}
			}
		}
		return "sign with a key of a type it takes (RS256, PS256: RSA; ES256: P-256; EdDSA: Ed25519)"
	}
	return "use another Client.Method"
}

// supportsPKCE checks that the code flow can run: response_type code, and
// PKCE with S256, the only method this package sends (RFC 7636 4.2, RFC
// 9700 2.1.1).
func (m *Metadata) supportsPKCE() error {
	switch {
	case m == nil:
		return nil
	case len(m.ResponseTypesSupported) > 0 && !slices.Contains(m.ResponseTypesSupported, "code"):
		return fmt.Errorf("oauth: the server %s does not offer response_type code (response_types_supported: %s): it has no authorization code flow",
			m.Issuer, listed(m.ResponseTypesSupported))
	case len(m.CodeChallengeMethodsSupported) > 0 && !slices.Contains(m.CodeChallengeMethodsSupported, "S256"):
		return fmt.Errorf("oauth: the server %s does not take PKCE with S256 (code_challenge_methods_supported: %s): this package sends only S256 (RFC 9700 2.1.1); ask the server's operator to enable it",
			m.Issuer, listed(m.CodeChallengeMethodsSupported))
	}
	return nil
}

// maxListed bounds how many values of a server's list an error quotes.
const maxListed = 12

// listed renders values a server sent, cleaned, for an error message.
func listed(values []string) string {
	out := make([]string, 0, min(len(values), maxListed))
	for i, v := range values {
		if i == maxListed {
			out = append(out, "…")
			break
		}
		out = append(out, clean(v))
	}
	return "[" + strings.Join(out, " ") + "]"
}
