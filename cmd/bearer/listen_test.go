package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

// serve refuses a listen address that is not loopback unless told, a key
// file others may read, and a socket mode that opens it to others.
func TestServeRefusesUnguardedEndpoints(t *testing.T) {
	e := newC2(t)
	dir := t.TempDir()
	openKey := filepath.Join(dir, "open-key")
	os.WriteFile(openKey, []byte("0123456789abcdef0123456789abcdef"), 0o644)
	store := `store = "` + filepath.Join(dir, "s.json") + `"`
	tests := []struct{ server, want string }{
		{`listen = "10.0.0.1:8181"` + "\nkey_file = \"" + filepath.Join(dir, "k") + "\"", "not a loopback address"},
		{`listen = "127.0.0.1:0"` + "\nkey_file = \"" + openKey + "\"", "chmod 600"},
		{`socket = "` + filepath.Join(dir, "s.sock") + "\"\nsocket_mode = \"0666\"", "socket_mode"},
		{`listen = "127.0.0.1:0"`, "needs key_file"},
	}
	for _, tt := range tests {
		cfg := e.config(t, tt.server, store)
		_, err := runFor(t, []string{"serve", "-config", cfg}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve with [server] %s = %v; want an error mentioning %q", tt.server, err, tt.want)
		}
	}
	if st := e.fake.Stats(); st.Rotations != 0 {
		t.Errorf("a refused serve rotated the token %d times; want 0", st.Rotations)
	}
}

// With -allow-remote, a listen address that is not loopback is accepted
// and logged as an error. (Nothing listens on it: tests use loopback only.)
func TestAllowRemoteSaysSoLoudly(t *testing.T) {
	var logs syncbuf.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if err := checkListen("10.0.0.1:8181", false, log); err == nil {
		t.Error("checkListen(10.0.0.1:8181) without -allow-remote = nil; want an error")
	}
	if err := checkListen("10.0.0.1:8181", true, log); err != nil || !strings.Contains(logs.String(), "level=ERROR msg=\"SERVING TOKENS TO THE NETWORK") {
		t.Errorf("checkListen(10.0.0.1:8181) with -allow-remote = %v, logs %q; want nil and a loud error", err, logs.String())
	}
}

// The key file serve creates is readable by its owner only, the Unix
// socket has the mode asked for and is removed at exit.
func TestServeCreatesGuards(t *testing.T) {
	e := newC2(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	sock := filepath.Join(dir, "s.sock")
	cfg := e.config(t, "listen = \"127.0.0.1:0\"\nkey_file = \""+keyFile+"\"\nsocket = \""+sock+"\"\nsocket_mode = \"0660\"",
		`store = "`+filepath.Join(dir, "s.json")+`"`)
	p := start(t, nil, "serve", "-config", cfg)
	p.waitLog(`msg="serving on a Unix socket"`)
	for path, want := range map[string]os.FileMode{keyFile: 0o600, sock: 0o660} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v); want %v", filepath.Base(path), fi.Mode().Perm(), err, want)
		}
	}
	if err := p.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket is left behind: %v", err)
	}
}
