package oauthtest

import (
	"net/http"
	"net/url"
	"strings"
)

// Well-known paths of the server's metadata, as the oauth package names
// them.
const (
	wellKnownOAuth  = "/.well-known/oauth-authorization-server"
	wellKnownOpenID = "/.well-known/openid-configuration"
)

// metadata is the server's metadata document (RFC 8414 2, OpenID Connect
// Discovery 1.0 3): every endpoint under [Config.Issuer], so set the
// issuer to the URL the fake is served at for a client to reach them.
func (s *Server) metadata() map[string]any {
	auth := []string{string(ClientSecretBasic), string(ClientSecretPost), string(ClientSecretJWT)}
	return map[string]any{
		"issuer":                                s.issuer,
		"authorization_endpoint":                s.issuer + s.paths.AuthorizationEndpoint,
		"token_endpoint":                        s.issuer + s.paths.TokenEndpoint,
		"introspection_endpoint":                s.issuer + s.paths.IntrospectionEndpoint,
		"revocation_endpoint":                   s.issuer + s.paths.RevocationEndpoint,
		"device_authorization_endpoint":         s.issuer + s.paths.DeviceAuthorizationEndpoint,
		"userinfo_endpoint":                     s.issuer + s.paths.UsersMe,
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "offline_access"},
		"grant_types_supported": []string{"authorization_code", "refresh_token", "password", "client_credentials",
			DeviceCodeGrantType, JWTBearerGrantType},
		"code_challenge_methods_supported":                         []string{"S256"},
		"token_endpoint_auth_methods_supported":                    append(auth, "none"),
		"token_endpoint_auth_signing_alg_values_supported":         []string{"HS256"},
		"introspection_endpoint_auth_methods_supported":            auth,
		"revocation_endpoint_auth_methods_supported":               append(auth, "none"),
		"authorization_response_iss_parameter_supported":           true,
		"introspection_endpoint_auth_signing_alg_values_supported": []string{"HS256"},
	}
}

// handleMetadata registers the metadata document at the RFC 8414 URL of
// the issuer (the well-known path before the issuer's path, RFC 8414 3.1)
// and at its OpenID Connect URL (appended, OpenID Connect Discovery 1.0
// 4.1). Both answer 200 with application/json (RFC 8414 3.2).
func (s *Server) handleMetadata(mux *http.ServeMux) {
	path := ""
	if u, err := url.Parse(s.issuer); err == nil {
		path = strings.TrimSuffix(u.Path, "/")
	}
	serve := func(w http.ResponseWriter, _ *http.Request) { s.writeJSON(w, http.StatusOK, s.metadata()) }
	mux.HandleFunc("GET "+wellKnownOAuth+path, serve)
	mux.HandleFunc("GET "+path+wellKnownOpenID, serve)
}
