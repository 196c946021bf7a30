package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Metadata is what an authorization server says about itself (RFC 8414 2,
// OpenID Connect Discovery 1.0 3), as [Discover] reads it. Set it as the
// Metadata of a flow's Config: the endpoint URLs the Config leaves empty
// are taken from it, and the Config is checked against what the server
// says it supports. A list the server leaves out is not checked.
type Metadata struct {
	// Issuer is the server's issuer identifier; [Discover] has checked
	// that it is the one asked for.
	Issuer string `json:"issuer"`

	AuthorizationEndpoint       string `json:"authorization_endpoint"`
	TokenEndpoint               string `json:"token_endpoint"`
	RevocationEndpoint          string `json:"revocation_endpoint"`           // RFC 7009, RFC 8414 2
	IntrospectionEndpoint       string `json:"introspection_endpoint"`        // RFC 7662, RFC 8414 2
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint"` // RFC 8628 4
	JWKSURI                     string `json:"jwks_uri"`
	UserinfoEndpoint            string `json:"userinfo_endpoint"` // OpenID Connect

	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"` // RFC 7636
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`

	RevocationEndpointAuthMethodsSupported             []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationEndpointAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthMethodsSupported          []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`

	// AuthorizationResponseIssParameterSupported says the server puts iss
	// in every authorization response (RFC 9207 3); the code flow then
	// refuses a response without it.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported"`

	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"` // OpenID Connect

	// MTLSEndpointAliases are the endpoints, by metadata name (such as
	// token_endpoint), that a client using mutual TLS calls instead of
	// the conventional ones (RFC 8705 5): a flow whose Client has a
	// Certificate takes its endpoint URLs from here first.
	MTLSEndpointAliases map[string]string `json:"mtls_endpoint_aliases"`
	// TLSClientCertificateBoundAccessTokens says the server binds access
	// tokens to the client's certificate (RFC 8705 3.3).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens"`
	// DPoPSigningAlgValuesSupported are the JWS algorithms of the DPoP
	// proofs the server takes (RFC 9449 5.1).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported"`
}

// The well-known paths of server metadata.
const (
	// WellKnownOAuth is RFC 8414's, inserted between the issuer's host and
	// its path (RFC 8414 3.1).
	WellKnownOAuth = "/.well-known/oauth-authorization-server"
	// WellKnownOpenID is OpenID Connect Discovery's, appended to the
	// issuer (OpenID Connect Discovery 1.0 4.1).
	WellKnownOpenID = "/.well-known/openid-configuration"
)

// Discover reads the metadata of the authorization server whose issuer
// identifier is issuer: from RFC 8414's well-known URL, else, when that
// one is not found (404 or 410), from OpenID Connect Discovery's. The
// metadata's issuer must equal issuer exactly (RFC 8414 3.3, OpenID
// Connect Discovery 1.0 4.3), trailing slash included: a document that
// names another issuer is refused, since a server may only speak for
// itself. s supplies the HTTP client, the logger and AllowInsecureHTTP;
// redirects are not followed. Discover does not retry.
func Discover(ctx context.Context, issuer string, s Settings) (*Metadata, error) {
	u, err := checkURL("the issuer", issuer, s.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, errors.New("oauth: the issuer must not have a query (RFC 8414 2)")
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	ep := newEndpoint(u, ClientAuth{}, s)
	var tried []string
	for _, wk := range wellKnownURLs(u) {
		md, err := ep.fetchMetadata(ctx, wk)
		if errors.Is(err, errNoMetadata) {
			tried = append(tried, wk.String())
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := md.checkIssuer(issuer, wk); err != nil {
			return nil, err
		}
		return md, nil
	}
	return nil, fmt.Errorf("oauth: no metadata at %s: check the issuer URL, or set the endpoint URLs by hand", strings.Join(tried, " or "))
}

// wellKnownURLs returns where the metadata of issuer may be: RFC 8414's
// URL, the well-known path inserted before the issuer's path without its
// final slash (RFC 8414 3.1), then OpenID Connect's, the well-known path
// appended to it (OpenID Connect Discovery 1.0 4.1).
func wellKnownURLs(issuer *url.URL) []*url.URL {
	path := strings.TrimSuffix(issuer.EscapedPath(), "/")
	at := func(escaped string) *url.URL {
		u := &url.URL{Scheme: issuer.Scheme, Host: issuer.Host, RawPath: escaped}
		u.Path, _ = url.PathUnescape(escaped) // escaped comes from a parsed URL
		return u
	}
	return []*url.URL{at(WellKnownOAuth + path), at(path + WellKnownOpenID)}
}

// errNoMetadata says a well-known URL is not there.
var errNoMetadata = errors.New("oauth: no metadata there")

// fetchMetadata reads the metadata document at u.
func (e *endpoint) fetchMetadata(ctx context.Context, u *url.URL) (*Metadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("oauth: build the request to %s: %w", u, err)
	}
	a, err := e.send(req, nil)
	if err != nil {
		return nil, err
	}
	switch {
	case a.status == http.StatusNotFound || a.status == http.StatusGone:
		return nil, errNoMetadata
	case a.status != http.StatusOK:
		return nil, newError(a, nil)
	case a.oversize:
		return nil, fmt.Errorf("oauth: %s answered with more than %d bytes, which is no metadata document", a.endpoint, MaxResponseBytes)
	}
	body := bytes.TrimSpace(a.body)
	var md Metadata
	if len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &md) != nil {
		return nil, fmt.Errorf("oauth: %s answered 200 with %s instead of a JSON metadata document", a.endpoint, a.describe())
	}
	return &md, nil
}

// checkIssuer refuses metadata that speaks for another issuer than the
// one asked for (RFC 8414 3.3).
func (m *Metadata) checkIssuer(want string, from *url.URL) error {
	if m.Issuer == want {
		return nil
	}
	if m.Issuer == "" {
		return fmt.Errorf("oauth: the metadata at %s has no issuer (RFC 8414 2): it cannot be trusted", from)
	}
	return fmt.Errorf("oauth: the metadata at %s is that of issuer %q, not %q: it cannot be used (RFC 8414 3.3); if that server is the one you mean, discover it with its own issuer, exactly", from, clean(m.Issuer), want)
}

// url returns the endpoint URL of the Config field name: explicit if set,
// else the metadata's field metaName: its mtls_endpoint_aliases entry
// for a client c with a certificate (RFC 8705 5), if any. A nil m has no
// endpoints.
func (m *Metadata) url(name, explicit, metaName string, insecure bool, c ClientAuth) (*url.URL, error) {
	if explicit != "" || m == nil {
		return checkURL(name, explicit, insecure)
	}
	if alias := m.MTLSEndpointAliases[metaName]; alias != "" && !c.Certificate.IsZero() {
		return checkURL("the metadata's mtls_endpoint_aliases."+metaName, alias, insecure)
	}
	v := m.endpoint(metaName)
	if v == "" {
		return nil, fmt.Errorf("oauth: %s is required: the metadata of %s has no %s", name, m.Issuer, metaName)
	}
	return checkURL("the metadata's "+metaName, v, insecure)
}

// endpoint returns the endpoint URL the metadata names metaName.
func (m *Metadata) endpoint(metaName string) string {
	switch metaName {
	case "authorization_endpoint":
		return m.AuthorizationEndpoint
	case "token_endpoint":
		return m.TokenEndpoint
	case "revocation_endpoint":
		return m.RevocationEndpoint
	case "introspection_endpoint":
		return m.IntrospectionEndpoint
	case "device_authorization_endpoint":
		return m.DeviceAuthorizationEndpoint
	}
	return ""
}

// otherAudience returns the audience of client assertions sent to an
// endpoint other than the token endpoint, such as revocation: the token
// endpoint, which servers check assertions against, from tokenURL or
// else the metadata; "" when neither gives it, which only a client that
// sends no assertion, or sets Client.Audience, can accept.
func (m *Metadata) otherAudience(what, tokenURL string, c ClientAuth, insecure bool) (string, error) {
	if tokenURL != "" {
		u, err := checkURL("TokenURL", tokenURL, insecure)
		if err != nil {
			return "", err
		}
		return assertionAudience(u), nil
	}
	if m != nil && m.TokenEndpoint != "" {
		u, err := checkURL("the metadata's token_endpoint", m.TokenEndpoint, insecure)
		if err != nil {
			return "", err
		}
		return assertionAudience(u), nil
	}
	if (c.Method == ClientSecretJWT || c.Method == PrivateKeyJWT) && c.Audience == "" {
		return "", fmt.Errorf("oauth: %s with a client assertion needs TokenURL (or Metadata, or Client.Audience): it is the assertion's audience", what)
	}
	return "", nil
}
