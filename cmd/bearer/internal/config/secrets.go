package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/bearer-go/bearer/secret"
)

// A Secret is a secret value of the configuration and where it came from,
// for messages: "client_secret_file /etc/bearer/secret", "password_env
// API_PASSWORD" or "client_secret (inline)". It prints as its origin,
// never its value.
type Secret struct {
	Value secret.String
	From  string
}

// Set reports whether the secret was given.
func (s Secret) Set() bool { return !s.Value.IsZero() }

// String describes where the secret came from.
func (s Secret) String() string {
	if !s.Set() {
		return "unset"
	}
	return s.From
}

// maxSecretFile bounds a secret file: a password or a key is far smaller.
const maxSecretFile = 64 << 10

// ref is one secret field as written: inline, from a file, or from the
// environment.
type ref struct {
	name   string // the field's name, such as "client_secret"
	inline secret.String
	file   string
	env    string
}

// resolve reads r's value. At most one of the three may be set. An
// inline secret is accepted with a warning.
func (r ref) resolve(getenv func(string) string, warn func(string)) (Secret, error) {
	n := 0
	for _, set := range []bool{!r.inline.IsZero(), r.file != "", r.env != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return Secret{}, nil
	case n > 1:
		return Secret{}, fmt.Errorf("%s is given more than once: keep one of %s_file, %s_env and %s", r.name, r.name, r.name, r.name)
	case r.file != "":
		return readSecretFile(r.name, r.file, warn)
	case r.env != "":
		v := strings.TrimSpace(getenv(r.env))
		if v == "" {
			return Secret{}, fmt.Errorf("%s_env names %s, which is unset or empty: export it, or use %s_file", r.name, r.env, r.name)
		}
		return Secret{Value: secret.New(v), From: r.name + "_env " + r.env}, nil
	}
	warn(fmt.Sprintf("%s is written inline in the configuration: anyone who can read the file can read it; prefer %s_file (mode 0600) or %s_env", r.name, r.name, r.name))
	return Secret{Value: r.inline, From: r.name + " (inline)"}, nil
}

// readSecretFile reads a secret from path, trimmed of surrounding space.
// A file that others may read is accepted with a warning.
func readSecretFile(name, path string, warn func(string)) (Secret, error) {
	f, err := os.Open(path)
	if err != nil {
		return Secret{}, fmt.Errorf("%s_file: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Secret{}, fmt.Errorf("%s_file: %w", name, err)
	}
	if fi.Size() > maxSecretFile {
		return Secret{}, fmt.Errorf("%s_file %s is larger than %d bytes: it does not hold one secret", name, path, maxSecretFile)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		warn(fmt.Sprintf("%s_file %s is readable by others (mode %04o): chmod 600 it", name, path, fi.Mode().Perm()))
	}
	buf := make([]byte, fi.Size())
	if _, err := f.ReadAt(buf, 0); err != nil && fi.Size() > 0 {
		return Secret{}, fmt.Errorf("%s_file: %w", name, err)
	}
	v := strings.TrimSpace(string(buf))
	if v == "" {
		return Secret{}, fmt.Errorf("%s_file %s is empty", name, path)
	}
	return Secret{Value: secret.New(v), From: name + "_file " + path}, nil
}

// refs returns t's secret fields as written.
func (t *Token) refs() []struct {
	ref
	dst *Secret
} {
	r := &t.raw
	return []struct {
		ref
		dst *Secret
	}{
		{ref{"token", r.Token, r.TokenFile, r.TokenEnv}, &t.Token},
		{ref{"client_secret", r.ClientSecret, r.ClientSecretFile, r.ClientSecretEnv}, &t.ClientSecret},
		{ref{"refresh_token", r.RefreshToken, r.RefreshTokenFile, r.RefreshTokenEnv}, &t.RefreshToken},
		{ref{"password", r.Password, r.PasswordFile, r.PasswordEnv}, &t.Password},
		{ref{"store_password", r.StorePassword, r.StorePassFile, r.StorePassEnv}, &t.StorePassword},
	}
}

// resolve reads every token's secrets.
func (c *Config) resolve(getenv func(string) string) error {
	for _, name := range c.Names() {
		t := c.Tokens[name]
		warn := func(msg string) { c.Warnings = append(c.Warnings, fmt.Sprintf("[tokens.%s] %s", name, msg)) }
		for _, r := range t.refs() {
			s, err := r.resolve(getenv, warn)
			if err != nil {
				return fmt.Errorf("[tokens.%s]: %w", name, err)
			}
			*r.dst = s
		}
		t.raw = rawSecrets{}
	}
	return nil
}
