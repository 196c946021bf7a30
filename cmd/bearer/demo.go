package main

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/bearer-go/bearer/c2/c2test"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/secret"
)

// demo is an in-process fake C2 for -demo.
type demo struct {
	fake   *c2test.Server
	srv    *httptest.Server
	tmpDir string // removed by close; "" if -out was given
	out    string
	log    *slog.Logger
}

// startDemo serves a fake C2 whose tokens die after three idle intervals,
// points tok at it, and issues the token to keep alive.
func startDemo(l *legacyFlags, tok *config.Token, log *slog.Logger) (*demo, error) {
	d := &demo{log: log}
	d.fake = c2test.New(c2test.Options{TokenIdle: 3 * l.interval})
	d.srv = httptest.NewServer(d.fake)
	tok.APIRoot = d.srv.URL
	tok.Token = config.Secret{Value: secret.New(d.fake.IssueToken()), From: "the demo"}
	if tok.Out == "" {
		dir, err := os.MkdirTemp("", "bearer-demo")
		if err != nil {
			d.srv.Close()
			return nil, err
		}
		d.tmpDir = dir
		tok.Out = filepath.Join(dir, "c2-token")
	}
	d.out = tok.Out
	log.Info("demo: a fake C2 whose tokens die after 3 idle intervals", "root", tok.APIRoot, "token_idle", 3*l.interval)
	return d, nil
}

// close reports whether the token file holds a live token, and stops the
// fake.
func (d *demo) close() {
	data, err := os.ReadFile(d.out)
	live := err == nil && d.fake.Valid(strings.TrimSpace(string(data)))
	d.log.Info("demo: the token file holds a live token", "live", live, "rotations", d.fake.Stats().Rotations)
	d.srv.Close()
	if d.tmpDir != "" {
		os.RemoveAll(d.tmpDir)
	}
}
