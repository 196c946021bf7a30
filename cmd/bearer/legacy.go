package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/secret"
)

// legacyName is the name of the one C2 token the legacy flags configure.
const legacyName = "c2"

// Defaults of -demo: fast enough to watch, slow enough to read.
const (
	demoInterval  = 2 * time.Second
	demoRotations = 3
)

// legacyFlags are the flags of examples/c2-keepalive, which bearer serve
// replaces: one C2 token, written to a file, without a configuration.
type legacyFlags struct {
	root      string
	tokenFile string
	out       string
	state     string
	store     string
	interval  time.Duration
	fence     time.Duration
	rotations int
	demo      bool
}

// legacyNames are the flags that select the legacy mode.
var legacyNames = []string{"root", "token-file", "out", "state", "store", "interval", "fence", "demo"}

func (l *legacyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.root, "root", c2.ProductionAPIRoot, "one C2 token: the C2 API root")
	fs.StringVar(&l.tokenFile, "token-file", "", "one C2 token: the file holding the token issued at {root}/charon/tokens/issue (default: $C2_TOKEN)")
	fs.StringVar(&l.out, "out", "", "one C2 token: the file to write the current token to, mode 0600")
	fs.StringVar(&l.state, "state", "", "one C2 token: the file keeping the lineage across restarts (default: {out}.state.json)")
	fs.StringVar(&l.store, "store", "", "one C2 token: where the lineage is kept and shared: a path, file:///path, or redis://host:port/db?key=NAME (default: -state)")
	fs.DurationVar(&l.interval, "interval", c2.DefaultRefreshInterval, "one C2 token: the rotation interval (with -demo: 2s)")
	fs.DurationVar(&l.fence, "fence", 0, "one C2 token: hold the token back this long before each rotation (default: 2s, at most a quarter of -interval)")
	fs.IntVar(&l.rotations, "rotations", 0, "with one token: exit after this many new tokens; 0 runs until stopped (with -demo: 3)")
	fs.BoolVar(&l.demo, "demo", false, "one C2 token against an in-process fake C2, rotating every 2 s")
}

// used reports whether any legacy flag was given.
func (l *legacyFlags) used(fs *flag.FlagSet) bool {
	used := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range legacyNames {
			used = used || f.Name == n
		}
	})
	return used
}

// config builds the one-token configuration the legacy flags describe;
// with -demo it also starts the fake C2.
func (l *legacyFlags) config(fs *flag.FlagSet, e env, log *slog.Logger) (*config.Config, *demo, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["config"] {
		return nil, nil, fmt.Errorf("%w: -config and the one-token flags (-out, -token-file, -store, ...) do not mix: put the token in the configuration", errUsage)
	}
	if err := l.check(set); err != nil {
		return nil, nil, err
	}
	var d *demo
	tok := config.Token{Source: config.C2, APIRoot: l.root, Out: l.out, Store: l.store,
		Interval: config.Duration{Duration: l.interval, Set: true}}
	if set["fence"] {
		tok.Fence = config.Duration{Duration: l.fence, Set: true}
	}
	if l.demo {
		var err error
		if d, err = startDemo(l, &tok, log); err != nil {
			return nil, nil, err
		}
	} else {
		s, err := l.readToken(e.getenv)
		if err != nil {
			return nil, nil, err
		}
		tok.Token = s
	}
	if tok.Store == "" {
		tok.Store = l.state
		if tok.Store == "" {
			tok.Store = tok.Out + ".state.json"
		}
	}
	return &config.Config{Tokens: map[string]*config.Token{legacyName: &tok}}, d, nil
}

// check applies c2-keepalive's rules and defaults.
func (l *legacyFlags) check(set map[string]bool) error {
	if l.demo && !set["interval"] {
		l.interval = demoInterval
	}
	if l.demo && !set["rotations"] {
		l.rotations = demoRotations
	}
	switch {
	case l.out == "" && !l.demo:
		return errors.New("-out is required: the file the program reads the token from")
	case l.interval <= 0:
		return errors.New("-interval must be positive, and below the hour an unused C2 token lives")
	case l.rotations < 0:
		return errors.New("-rotations must not be negative")
	case set["store"] && set["state"]:
		return errors.New("-store and -state both name the store: keep -store")
	case set["store"] && l.store == "":
		return errors.New("-store is empty: give a path, or a redis:// URL")
	}
	return nil
}

// readToken returns the issued token from -token-file, else $C2_TOKEN.
func (l *legacyFlags) readToken(getenv func(string) string) (config.Secret, error) {
	if l.tokenFile == "" {
		if tok := strings.TrimSpace(getenv("C2_TOKEN")); tok != "" {
			return config.Secret{Value: secret.New(tok), From: "$C2_TOKEN"}, nil
		}
		return config.Secret{}, errors.New("no token: pass -token-file, or set C2_TOKEN, to the token issued at " + l.root + "/charon/tokens/issue")
	}
	data, err := os.ReadFile(l.tokenFile)
	if err != nil {
		return config.Secret{}, fmt.Errorf("read the token: %w", err)
	}
	return config.Secret{Value: secret.New(strings.TrimSpace(string(data))), From: "-token-file " + l.tokenFile}, nil
}
