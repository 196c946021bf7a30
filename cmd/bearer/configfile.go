package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// configFlag adds -config to fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "the configuration file (default: $BEARER_CONFIG, else $XDG_CONFIG_HOME/bearer/bearer.toml)")
}

// configPath returns the configuration file to read: flagValue, else
// $BEARER_CONFIG, else the user's configuration directory's
// bearer/bearer.toml.
func configPath(flagValue string, getenv func(string) string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := getenv("BEARER_CONFIG"); p != "" {
		return p, nil
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("no configuration: pass -config FILE or set BEARER_CONFIG")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "bearer", "bearer.toml"), nil
}

// loadConfig reads the configuration -config (or its default) names.
func loadConfig(flagValue string, e env) (*config.Config, error) {
	path, err := configPath(flagValue, e.getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(path, e.getenv)
	if errors.Is(err, os.ErrNotExist) && flagValue == "" {
		return nil, fmt.Errorf("no configuration at %s: write one (see the README), or pass -config FILE", path)
	}
	return cfg, err
}

// tokenConfig returns the configuration of the token name.
func tokenConfig(cfg *config.Config, name string) (*config.Token, error) {
	t, ok := cfg.Tokens[name]
	if !ok {
		return nil, fmt.Errorf("no token %q in the configuration: it has %v", name, cfg.Names())
	}
	return t, nil
}

// parseNamed parses the flags of a command that takes one token name:
// -config, those register adds, and the name.
func parseNamed(e env, cmd string, register func(*flag.FlagSet)) (cfgPath, name string, err error) {
	fs := flag.NewFlagSet("bearer "+cmd, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgFlag := configFlag(fs)
	if register != nil {
		register(fs)
	}
	if err := fs.Parse(e.args); err != nil {
		return "", "", err
	}
	if fs.NArg() != 1 {
		return "", "", fmt.Errorf("%w: bearer %s NAME: name one token", errUsage, cmd)
	}
	return *cfgFlag, fs.Arg(0), nil
}

// openStore opens t's store and returns the function that releases it
// (which does nothing for a file store).
func openStore(t *config.Token) (tokenrefresh.Store, func(), error) {
	release := func() {}
	store, err := keeper.OpenStore(t, func(r func()) { release = r })
	return store, release, err
}
