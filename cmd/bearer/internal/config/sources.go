package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// The kinds of source a token can have.
const (
	C2                = "c2"                 // C2's Charon rotation
	ClientCredentials = "client_credentials" // OAuth 2 client credentials (RFC 6749 4.4)
	RefreshToken      = "refresh_token"      // OAuth 2 refresh token (RFC 6749 6)
	AuthCode          = "authcode"           // OAuth 2 authorization code with PKCE, logged in by bearer login
	Device            = "device"             // OAuth 2 device grant (RFC 8628), logged in by bearer login
	ClimateEngine     = "climateengine"      // Climate Engine's auth server
	LoginToken        = "login_token"        // a login API that answers tokens (seed 004)
)

// secretKeys are the keys of each secret field.
func secretKeys(names ...string) []string {
	var keys []string
	for _, n := range names {
		keys = append(keys, n, n+"_file", n+"_env")
	}
	return keys
}

// commonKeys apply to every source.
var commonKeys = append([]string{"source", "store", "out", "upstream"}, secretKeys("store_password")...)

// oauthKeys are the keys of every OAuth 2 source.
var oauthKeys = append([]string{"token_url", "client_id", "auth_method", "scopes", "revocation_url"}, secretKeys("client_secret")...)

// Sources lists each kind of source with the keys it accepts besides
// commonKeys, and whether its lineage rotates (so it needs a store that
// outlives the process).
var Sources = map[string]struct {
	Keys     []string
	Rotating bool
}{
	C2:                {append([]string{"api_root", "interval", "fence"}, secretKeys("token")...), true},
	ClientCredentials: {oauthKeys, false},
	RefreshToken:      {append(slices.Clone(oauthKeys), secretKeys("refresh_token")...), true},
	AuthCode:          {append(slices.Clone(oauthKeys), "auth_url", "redirect_port"), true},
	Device:            {append(slices.Clone(oauthKeys), "device_authorization_url"), true},
	ClimateEngine:     {append([]string{"auth_url", "api_url", "email", "client_id", "auth_method"}, secretKeys("password", "client_secret")...), false},
	LoginToken: {append([]string{"base_url", "login_path", "username", "username_field", "password_field", "encoding",
		"refresh_path", "refresh_method", "refresh_token_query", "logout_path", "logout_method"}, secretKeys("password")...), true},
}

// sourceNames lists the kinds for messages.
func sourceNames() string {
	var names []string
	for n := range Sources {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// serverKeys are the keys of [server].
var serverKeys = []string{"socket", "socket_mode", "listen", "key_file", "log_format"}

// checkKeys refuses keys the configuration does not know, or that do not
// apply to a token's source: a misspelt key would otherwise be ignored.
func checkKeys(md toml.MetaData, cfg *Config) error {
	for _, k := range md.Keys() {
		switch {
		case len(k) == 1 && (k[0] == "server" || k[0] == "tokens"):
		case len(k) == 1:
			return fmt.Errorf("unknown section or key %q: the file has [server] and [tokens.NAME] sections", k[0])
		case k[0] == "server" && len(k) == 2 && slices.Contains(serverKeys, k[1]):
		case k[0] == "server":
			return fmt.Errorf("[server] has no key %q: it knows %s", strings.Join(k[1:], "."), strings.Join(serverKeys, ", "))
		case len(k) == 2: // [tokens.NAME]
		case len(k) == 3:
			if err := checkTokenKey(k[1], k[2], cfg.Tokens[k[1]]); err != nil {
				return err
			}
		case len(k) == 4 && slices.Contains(tableKeys, k[2]): // a parameter of a table key
		default:
			return fmt.Errorf("[tokens.%s]: unexpected nested key %q", k[1], strings.Join(k[2:], "."))
		}
	}
	return nil
}

// tableKeys are the keys of [tokens.NAME] whose value is a table of
// names the file chooses.
var tableKeys = []string{"refresh_token_query"}

// checkTokenKey refuses key in [tokens.name] if t's source does not take it.
func checkTokenKey(name, key string, t *Token) error {
	if t == nil || slices.Contains(commonKeys, key) {
		return nil
	}
	src, ok := Sources[t.Source]
	if !ok {
		return nil // validate names the bad source
	}
	if !slices.Contains(src.Keys, key) {
		return fmt.Errorf("[tokens.%s]: a %s source has no key %q", name, t.Source, key)
	}
	return nil
}

// validate checks t for its source.
func (t *Token) validate() error {
	src, ok := Sources[t.Source]
	switch {
	case t.Source == "":
		return fmt.Errorf("source is required: one of %s", sourceNames())
	case !ok:
		return fmt.Errorf("source %q is unknown: use one of %s", t.Source, sourceNames())
	case src.Rotating && t.Store == "":
		return fmt.Errorf("a %s source needs a store (a file path or a redis:// URL): its token is replaced as it is used, so it must outlive the process", t.Source)
	}
	for _, u := range []struct{ name, v string }{{"upstream", t.Upstream}, {"api_root", t.APIRoot}, {"token_url", t.TokenURL},
		{"auth_url", t.AuthURL}, {"device_authorization_url", t.DeviceURL}, {"revocation_url", t.RevocationURL},
		{"api_url", t.APIURL}, {"base_url", t.BaseURL}} {
		if err := checkURL(u.name, u.v); err != nil {
			return err
		}
	}
	return t.validateSource()
}

// validateSource checks the fields each source requires.
func (t *Token) validateSource() error {
	need := func(ok bool, what string) error {
		if ok {
			return nil
		}
		return fmt.Errorf("a %s source needs %s", t.Source, what)
	}
	switch t.Source {
	case C2:
		return errors.Join(need(t.Token.Set(), "token_file (or token_env): the token issued at {api_root}/charon/tokens/issue"),
			need(!t.Interval.Set || t.Interval.Duration > 0, "a positive interval, below the hour an unused token lives"))
	case ClientCredentials:
		return errors.Join(need(t.TokenURL != "", "token_url"), need(t.ClientID != "", "client_id"))
	case RefreshToken:
		return need(t.TokenURL != "", "token_url")
	case AuthCode:
		return errors.Join(need(t.TokenURL != "" && t.AuthURL != "", "auth_url and token_url"), need(t.ClientID != "", "client_id"))
	case Device:
		return errors.Join(need(t.TokenURL != "" && t.DeviceURL != "", "device_authorization_url and token_url"), need(t.ClientID != "", "client_id"))
	case ClimateEngine:
		user, client := t.Email != "" || t.Password.Set(), t.ClientID != "" || t.ClientSecret.Set()
		return need(user != client, "either email and password, or client_id and client_secret")
	case LoginToken:
		return errors.Join(need(t.BaseURL != "", "base_url"), need((t.Username != "") == t.Password.Set(), "both username and password, or neither"),
			need(t.LoginPath != "" || !t.Password.Set(), "login_path with a password"))
	}
	return nil
}

// checkURL refuses a URL that is not absolute, or that carries a user or
// password (those go in the secret fields).
func checkURL(name, v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%s is not an absolute URL such as https://api.example.com", name)
	case u.User != nil:
		return fmt.Errorf("%s must not carry a user or password: use the secret fields (client_secret_file, password_file)", name)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%s has the scheme %q: use https", name, u.Scheme)
	}
	return nil
}
