package keeper

import (
	"strings"
	"testing"
)

func TestParseStore(t *testing.T) {
	tests := []struct {
		spec     string
		path     string // want a state file here, or
		addr     string // a Redis at addr,
		db       int    // database db,
		key      string // key key,
		password string // and this password
		tls      bool
		describe string // String()
	}{
		{spec: "/var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "state.json", path: "state.json", describe: "state.json"},
		{spec: "file:///var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "file://localhost/var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "redis://127.0.0.1:6379/2?key=bearer:c2:algo", addr: "127.0.0.1:6379", db: 2, key: "bearer:c2:algo",
			describe: "redis://127.0.0.1:6379/2 key=bearer:c2:algo"},
		{spec: "redis://redis.internal?key=k", addr: "redis.internal:6379", key: "k", describe: "redis://redis.internal:6379/0 key=k"},
		{spec: "rediss://:s3cret@redis.example:6380/0?key=k&dial_timeout=3s", addr: "redis.example:6380", key: "k", password: "s3cret", tls: true,
			describe: "rediss://redis.example:6380/0 key=k"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := parseStore(tt.spec)
			if err != nil {
				t.Fatalf("parseStore(%q) = %v", tt.spec, err)
			}
			if got := s.String(); got != tt.describe {
				t.Errorf("parseStore(%q).String() = %q; want %q", tt.spec, got, tt.describe)
			}
			if tt.path != "" {
				if s.path != tt.path || s.redis != nil {
					t.Errorf("parseStore(%q) = file %q, redis %v; want file %q", tt.spec, s.path, s.redis != nil, tt.path)
				}
				return
			}
			switch {
			case s.redis == nil:
				t.Fatalf("parseStore(%q) = file %q; want Redis", tt.spec, s.path)
			case s.redis.Addr != tt.addr || s.redis.DB != tt.db || s.key != tt.key || s.redis.Password != tt.password || (s.redis.TLSConfig != nil) != tt.tls:
				t.Errorf("parseStore(%q) = addr %q db %d key %q tls %v; want %q %d %q %v (and the password)",
					tt.spec, s.redis.Addr, s.redis.DB, s.key, s.redis.TLSConfig != nil, tt.addr, tt.db, tt.key, tt.tls)
			}
		})
	}
}

func TestParseStoreErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "store is empty"},
		{"redis://127.0.0.1:6379/0", "needs ?key=NAME"},
		{"redis://127.0.0.1:6379/0?key=+", "needs ?key=NAME"},
		{"redis://:s3cret@127.0.0.1:6379/0", "needs ?key=NAME"},
		{"redis://:s3cret@127.0.0.1:6379/zero?key=k", "invalid database number"},
		{"redis://127.0.0.1:6379/0?key=k&colour=blue", "unexpected option: colour"},
		{"ftp://example.com/state.json", `scheme "ftp"`},
		{"file://example.com/state.json", "three slashes"},
		{"file://", "absolute path"},
		{"file:///state.json?x=1", "no query"},
		{"redis://[::1", "not a valid URL"},
	}
	for _, tt := range tests {
		_, err := parseStore(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseStore(%q) = %v; want an error mentioning %q", tt.spec, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parseStore(%q) = %v: the error quotes the password", tt.spec, err)
		}
	}
}
