package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretValue = "s3cret-value-never-printed"

func parse(t *testing.T, body string, env map[string]string) (*Config, error) {
	t.Helper()
	return Parse(strings.NewReader(body), "bearer.toml", func(k string) string { return env[k] })
}

func TestParseAllSources(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte(secretValue+"\n"), 0o600)
	body := fmt.Sprintf(`
[server]
socket = "/run/bearer.sock"
socket_mode = "0660"

[tokens.c2]
source = "c2"
token_file = %[1]q
store = "/var/lib/bearer/c2.json"
interval = "55m"
fence = "0s"

[tokens.cc]
source = "client_credentials"
token_url = "https://auth.example.com/token"
client_id = "id"
client_secret_env = "CC_SECRET"
scopes = ["read", "write"]
upstream = "https://api.example.com"

[tokens.rt]
source = "refresh_token"
token_url = "https://auth.example.com/token"
refresh_token_file = %[1]q
store = "redis://127.0.0.1:6379/0?key=bearer:rt"
store_password_env = "REDIS_PASSWORD"

[tokens.person]
source = "authcode"
auth_url = "https://auth.example.com/authorize"
token_url = "https://auth.example.com/token"
client_id = "native-app"
store = "/var/lib/bearer/person.json"

[tokens.ce]
source = "climateengine"
email = "ops@example.com"
password_file = %[1]q

[tokens.films]
source = "login_token"
base_url = "https://films.example.com"
login_path = "/users/v1/login"
username = "ops@example.com"
username_field = "email"
password_env = "FILMS_PASSWORD"
refresh_path = "/users/v1/generate_tokens"
refresh_method = "GET"
refresh_token_query = { old_access_token = "access" }
store = "/var/lib/bearer/films.json"
`, secretFile)
	cfg, err := parse(t, body, map[string]string{"CC_SECRET": secretValue, "REDIS_PASSWORD": secretValue, "FILMS_PASSWORD": secretValue})
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if got := strings.Join(cfg.Names(), ","); got != "c2,cc,ce,films,person,rt" {
		t.Errorf("Names() = %s", got)
	}
	if cfg.Server.Mode() != SocketGroup || len(cfg.Warnings) != 0 {
		t.Errorf("socket mode %o, warnings %q; want 0660 and none", cfg.Server.Mode(), cfg.Warnings)
	}
	checks := []struct {
		what string
		s    Secret
	}{{"c2 token", cfg.Tokens["c2"].Token}, {"cc secret", cfg.Tokens["cc"].ClientSecret}, {"rt refresh token", cfg.Tokens["rt"].RefreshToken},
		{"rt store password", cfg.Tokens["rt"].StorePassword}, {"ce password", cfg.Tokens["ce"].Password}, {"films password", cfg.Tokens["films"].Password}}
	for _, c := range checks {
		if c.s.Value.Reveal() != secretValue {
			t.Errorf("%s was not read", c.what)
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v %s", c.s, c.s, c.s, c.s.String()), secretValue) {
			t.Errorf("%s prints its value", c.what)
		}
	}
	if c2 := cfg.Tokens["c2"]; !c2.Fence.Set || c2.Fence.Duration != 0 || c2.Interval.Duration.Minutes() != 55 {
		t.Errorf("c2 fence %+v interval %v", c2.Fence, c2.Interval)
	}
	if strings.Contains(fmt.Sprintf("%v %+v", cfg, cfg.Tokens["cc"]), secretValue) {
		t.Error("the configuration prints a secret")
	}
}

// An inline secret is accepted with a warning that names the field, never
// the value.
func TestInlineSecretWarns(t *testing.T) {
	cfg, err := parse(t, `[tokens.cc]
source = "client_credentials"
token_url = "https://auth.example.com/token"
client_id = "id"
client_secret = "`+secretValue+`"
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "client_secret is written inline") || strings.Contains(cfg.Warnings[0], secretValue) {
		t.Errorf("warnings = %q; want one about the inline client_secret, without its value", cfg.Warnings)
	}
}

// Bad configurations are refused with a message that says what to fix,
// and never quotes a secret, even from a line that is not valid TOML.
func TestParseErrors(t *testing.T) {
	cc := "[tokens.cc]\nsource = \"client_credentials\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"id\"\n"
	tests := []struct{ body, want string }{
		{"", "no [tokens.NAME]"},
		{"[tokens.x]\nsource = \"c3\"\n", `source "c3" is unknown`},
		{"[tokens.x]\n", "source is required"},
		{cc + "clientsecret = \"" + secretValue + "\"\n", `no key "clientsecret"`},
		{cc + "api_root = \"https://x.example\"\n", `a client_credentials source has no key "api_root"`},
		{cc + "client_secret = \"" + secretValue + "\n", "at line 5"},
		{cc + "client_secret = \"a\"\nclient_secret_env = \"X\"\n", "given more than once"},
		{cc + "client_secret_env = \"UNSET\"\n", "UNSET, which is unset"},
		{"[tokens.c2]\nsource = \"c2\"\ntoken_env = \"T\"\n", "needs a store"},
		{"[tokens.c2]\nsource = \"c2\"\nstore = \"s.json\"\n", "needs token_file"},
		{"[tokens.c2]\nsource = \"c2\"\nstore = \"s.json\"\ntoken_env = \"T\"\ninterval = \"-1s\"\n", "a duration not like 55m"},
		{"[tokens.\"a b\"]\nsource = \"c2\"\n", "token name"},
		{"[tokens.v1]\n" + strings.TrimPrefix(cc, "[tokens.cc]\n"), "reserved"},
		{cc + "upstream = \"https://user:" + secretValue + "@api.example\"\n", "must not carry a user or password"},
		{"[server]\nlisten = \"127.0.0.1:8181\"\n" + cc, "needs key_file"},
		{"[server]\nsocket_mode = \"0666\"\n" + cc, "socket_mode"},
		{"[server]\nport = 1\n" + cc, `[server] has no key "port"`},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.body, map[string]string{"T": "tok"})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v; want an error mentioning %q", tt.body, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), secretValue) {
			t.Errorf("Parse(%q) = %v: the error quotes the secret", tt.body, err)
		}
	}
}

// A secret file others may read is accepted with a warning.
func TestSecretFileReadableByOthersWarns(t *testing.T) {
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte(secretValue), 0o644)
	cfg, err := parse(t, "[tokens.cc]\nsource = \"client_credentials\"\ntoken_url = \"https://a.example/t\"\nclient_id = \"id\"\nclient_secret_file = \""+f+"\"\n", nil)
	if err != nil || len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "chmod 600") {
		t.Errorf("Parse = %v, warnings %q; want a warning to chmod 600", err, cfg.Warnings)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "127.1.2.3:1": true, "[::1]:1": true, "localhost:1": true,
		":8181": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "example.com:1": false, "nonsense": false} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v; want %v", addr, got, want)
		}
	}
}

// Parse never panics, and its errors never quote a secret written in the
// file, whatever the file holds.
func FuzzParse(f *testing.F) {
	f.Add("[tokens.cc]\nsource = \"client_credentials\"\nclient_secret = \"" + secretValue + "\"\n")
	f.Add("[tokens.c2]\nsource = \"c2\"\ntoken = \"" + secretValue + "\nstore = \"x\"\n")
	f.Fuzz(func(t *testing.T, body string) {
		_, err := parse(t, body, nil)
		if err != nil && strings.Contains(body, secretValue) && strings.Contains(err.Error(), secretValue) {
			t.Errorf("Parse error quotes the secret: %v", err)
		}
	})
}
