// Package config reads the configuration of bearer serve: a TOML file that
// names the tokens to keep alive, each with its source and store, and says
// where the local endpoint listens. Secrets are read from files or the
// environment (password_file, client_secret_env, ...); a secret written
// inline in the file is accepted with a warning. No secret is ever
// printed: they are [secret.String]s from the moment they are read.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bearer-go/bearer/secret"
)

// Config is a whole configuration: the endpoint and the tokens.
type Config struct {
	Server Server            `toml:"server"`
	Tokens map[string]*Token `toml:"tokens"`

	// Warnings are what Load found worth telling but not refusing, such as
	// a secret written inline. They name fields, never values.
	Warnings []string `toml:"-"`
}

// Server says where bearer serve listens and how it guards the endpoint.
type Server struct {
	// Socket is a Unix socket path. Its mode is SocketMode.
	Socket string `toml:"socket"`
	// SocketMode is the socket's permission bits: "0600" (the default,
	// the owner only) or "0660" (and the owner's group).
	SocketMode string `toml:"socket_mode"`
	// Listen is a TCP address, such as "127.0.0.1:8181". It must be a
	// loopback address unless serve runs with --allow-remote. It needs
	// KeyFile.
	Listen string `toml:"listen"`
	// KeyFile holds the key callers send in the Bearer-Proxy-Key header.
	// serve creates it (mode 0600) if it does not exist, and refuses one
	// that others may read.
	KeyFile string `toml:"key_file"`
	// LogFormat is "text" (the default) or "json".
	LogFormat string `toml:"log_format"`
}

// Token is one named token: its source, its store and what serve does
// with it. Which fields apply depends on Source; see [Sources]. Each
// secret (token, client_secret, refresh_token, password, store_password)
// is read from NAME_file or NAME_env, or else from NAME inline.
type Token struct {
	// Source is the kind of source; see [Sources].
	Source string `toml:"source"`

	// Store is where the lineage is kept: a path, file:///path, or
	// redis://host:port/db?key=NAME (rediss:// for TLS).
	Store string `toml:"store"`
	// Out is a file the current token is written to, atomically, mode 0600.
	Out string `toml:"out"`
	// Upstream is the base URL the proxy /NAME/... forwards to.
	Upstream string `toml:"upstream"`

	// C2.
	APIRoot  string   `toml:"api_root"`
	Interval Duration `toml:"interval"`
	Fence    Duration `toml:"fence"`

	// OAuth 2, Climate Engine and the login APIs.
	TokenURL      string   `toml:"token_url"`
	AuthURL       string   `toml:"auth_url"`
	DeviceURL     string   `toml:"device_authorization_url"`
	RevocationURL string   `toml:"revocation_url"`
	APIURL        string   `toml:"api_url"`
	ClientID      string   `toml:"client_id"`
	AuthMethod    string   `toml:"auth_method"`
	Scopes        []string `toml:"scopes"`
	RedirectPort  int      `toml:"redirect_port"`
	Username      string   `toml:"username"`
	Email         string   `toml:"email"`
	BaseURL       string   `toml:"base_url"`
	LoginPath     string   `toml:"login_path"`
	UsernameField string   `toml:"username_field"`
	PasswordField string   `toml:"password_field"`
	Encoding      string   `toml:"encoding"`
	RefreshPath   string   `toml:"refresh_path"`
	RefreshMethod string   `toml:"refresh_method"`
	// RefreshTokenQuery names query parameters of the refresh request
	// that carry one of the tokens ("access" or "refresh"): seed 004's
	// generate_tokens wants { old_access_token = "access" }.
	RefreshTokenQuery map[string]string `toml:"refresh_token_query"`
	LogoutPath        string            `toml:"logout_path"`
	LogoutMethod      string            `toml:"logout_method"`

	// The secrets, resolved by Parse from the fields below.
	Token         Secret `toml:"-"` // C2: the token issued at /charon/tokens/issue
	ClientSecret  Secret `toml:"-"`
	RefreshToken  Secret `toml:"-"`
	Password      Secret `toml:"-"`
	StorePassword Secret `toml:"-"` // the Redis password

	raw rawSecrets
}

// rawSecrets are the secret fields as written: inline, or a reference.
type rawSecrets struct {
	Token            secret.String `toml:"token"`
	TokenFile        string        `toml:"token_file"`
	TokenEnv         string        `toml:"token_env"`
	ClientSecret     secret.String `toml:"client_secret"`
	ClientSecretFile string        `toml:"client_secret_file"`
	ClientSecretEnv  string        `toml:"client_secret_env"`
	RefreshToken     secret.String `toml:"refresh_token"`
	RefreshTokenFile string        `toml:"refresh_token_file"`
	RefreshTokenEnv  string        `toml:"refresh_token_env"`
	Password         secret.String `toml:"password"`
	PasswordFile     string        `toml:"password_file"`
	PasswordEnv      string        `toml:"password_env"`
	StorePassword    secret.String `toml:"store_password"`
	StorePassFile    string        `toml:"store_password_file"`
	StorePassEnv     string        `toml:"store_password_env"`
}

// Duration is a time.Duration written as "55m" or "1s". Set tells a
// duration written as "0s" from one not written at all.
type Duration struct {
	time.Duration
	Set bool
}

// UnmarshalText reads a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 55m or 2s", b)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", b)
	}
	d.Duration, d.Set = v, true
	return nil
}

// namePattern is what a token's name may be: it is a URL path segment.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// reserved are the names of the endpoint's own routes, which a token's
// proxy path /NAME/ would shadow.
var reserved = map[string]bool{"v1": true, "healthz": true, "metrics": true}

// Load reads and checks the configuration at path. Its errors never quote
// a secret: TOML syntax errors name a line, not its text.
func Load(path string, getenv func(string) string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return Parse(f, path, getenv)
}

// maxConfigBytes bounds a configuration file: a few tokens take a few
// kilobytes.
const maxConfigBytes = 1 << 20

// Parse reads a configuration from r; name is its file name for errors.
func Parse(r io.Reader, name string, getenv func(string) string) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", name, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config: %s is larger than %d bytes", name, maxConfigBytes)
	}
	cfg := &Config{}
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %s", name, syntaxError(err))
	}
	var raws struct {
		Tokens map[string]*rawSecrets `toml:"tokens"`
	}
	if _, err := toml.Decode(string(data), &raws); err != nil {
		return nil, fmt.Errorf("config: %s: %s", name, syntaxError(err))
	}
	for n, r := range raws.Tokens {
		if t := cfg.Tokens[n]; t != nil && r != nil {
			t.raw = *r
		}
	}
	if err := checkKeys(md, cfg); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	if err := cfg.resolve(getenv); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	return cfg, cfg.Validate()
}

// syntaxError describes a TOML error by its position only: the toml
// package quotes the offending text, which may be a secret.
func syntaxError(err error) string {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("not valid TOML, or a value of the wrong kind (a duration not like 55m, a number for a string), at line %d, column %d",
			pe.Position.Line, pe.Position.Col)
	}
	return "not valid TOML, or a value of the wrong type (a number where a string belongs, or the reverse)"
}

// Names returns the token names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Tokens))
	for n := range c.Tokens {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Validate checks the whole configuration.
func (c *Config) Validate() error {
	if err := c.Server.validate(); err != nil {
		return err
	}
	if len(c.Tokens) == 0 {
		return errors.New("config: no [tokens.NAME] section: name at least one token to keep alive")
	}
	for _, name := range c.Names() {
		if !namePattern.MatchString(name) {
			return fmt.Errorf("config: token name %q: use letters, digits, '-', '_' and '.', starting with a letter or digit", name)
		}
		if reserved[name] {
			return fmt.Errorf("config: token name %q is reserved: the endpoint serves /%s itself; choose another", name, name)
		}
		if err := c.Tokens[name].validate(); err != nil {
			return fmt.Errorf("config: [tokens.%s]: %w", name, err)
		}
	}
	return nil
}
