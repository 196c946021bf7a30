package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/cmd/bearer/internal/logx"
	"github.com/bearer-go/bearer/cmd/bearer/internal/server"
	"github.com/bearer-go/bearer/internal/redact"
)

// Timeouts of serve.
const (
	// startTimeout bounds the start of each token: the first load of its
	// store. A store that has not answered in 30 s is down, and serving
	// without it could lose a rotated token.
	startTimeout = 30 * time.Second

	// shutdownGrace is how long requests in flight get to finish after
	// SIGTERM before their connections are closed; the tokens' own Close
	// then gives a rotation already sent up to 5 s more.
	shutdownGrace = 5 * time.Second

	// readHeaderTimeout bounds how long a caller may take to send its
	// request headers; bodies are streamed without a limit.
	readHeaderTimeout = 10 * time.Second
)

// serveFlags are serve's flags; the legacy ones are those of
// examples/c2-keepalive, for one C2 token without a configuration file.
type serveFlags struct {
	config      string
	allowRemote bool
	socket      string
	listen      string
	keyFile     string
	legacy      legacyFlags
	legacyMode  bool // one C2 token from the legacy flags
}

func parseServeFlags(e env) (*serveFlags, *flag.FlagSet, error) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("bearer serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&f.config, "config", "", "the configuration file (default: $BEARER_CONFIG, else $XDG_CONFIG_HOME/bearer/bearer.toml)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a listen address that is not loopback: the tokens are then served to the network, guarded by the key only")
	fs.StringVar(&f.socket, "socket", "", "serve on this Unix socket (overrides [server] socket)")
	fs.StringVar(&f.listen, "listen", "", "serve on this loopback TCP address (overrides [server] listen); needs -key-file")
	fs.StringVar(&f.keyFile, "key-file", "", "the key file guarding -listen (overrides [server] key_file)")
	f.legacy.register(fs)
	if err := fs.Parse(e.args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("%w: unexpected arguments %q: the tokens come from the configuration (or, for one C2 token, -token-file or $C2_TOKEN)", errUsage, fs.Args())
	}
	return f, fs, nil
}

// serve keeps the configured tokens alive and serves them until ctx ends.
func serve(ctx context.Context, e env) error {
	f, fs, err := parseServeFlags(e)
	if err != nil {
		return err
	}
	reg := &redact.Registry{}
	var cfg *config.Config
	var demo *demo
	if f.legacyMode = f.legacy.used(fs); f.legacyMode {
		cfg, demo, err = f.legacy.config(fs, e, logx.New(e.stderr, "", reg))
		if demo != nil {
			defer demo.close()
		}
	} else {
		cfg, err = loadConfig(f.config, e)
	}
	if err != nil {
		return err
	}
	f.override(&cfg.Server)
	log := logx.New(e.stderr, cfg.Server.LogFormat, reg)
	keeper.LogRedisTo(log)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	return serveConfig(ctx, cfg, f, reg, log)
}

// override applies the flags that replace [server] keys.
func (f *serveFlags) override(s *config.Server) {
	if f.socket != "" {
		s.Socket = f.socket
	}
	if f.listen != "" {
		s.Listen = f.listen
	}
	if f.keyFile != "" {
		s.KeyFile = f.keyFile
	}
}

// serveConfig runs serve for cfg.
func serveConfig(ctx context.Context, cfg *config.Config, f *serveFlags, reg *redact.Registry, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ls, key, err := openListeners(cfg.Server, f.allowRemote, log)
	if err != nil {
		return err
	}
	defer ls.close()
	keepers, err := startKeepers(ctx, cfg, reg, log)
	if err != nil {
		return err
	}
	defer closeKeepers(keepers, log)
	if ls.tcp == nil && ls.unix == nil && !f.legacyMode {
		log.Warn("no [server] socket or listen: the tokens are kept alive, and written to their out files, but served nowhere")
	}
	shutdown := ls.serve(server.New(keepers, log), key, log)
	defer shutdown(shutdownGrace)
	initial := writeInitial(ctx, keepers, log)
	defer initial.Wait()
	return watch(ctx, keepers, f.legacyMode, f.legacy.rotations, log)
}

// startKeepers starts every token, in name order; on an error it closes
// those it started.
func startKeepers(ctx context.Context, cfg *config.Config, reg *redact.Registry, log *slog.Logger) ([]*keeper.Keeper, error) {
	var keepers []*keeper.Keeper
	for _, name := range cfg.Names() {
		t := cfg.Tokens[name]
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		k, err := keeper.Build(sctx, name, t, keeper.Options{Logger: log, Secrets: reg})
		cancel()
		if err != nil {
			closeKeepers(keepers, log)
			return nil, err
		}
		keepers = append(keepers, k)
		attrs := []any{"token", name, "source", t.Source, "store", keeper.DescribeStore(t)}
		if t.Out != "" {
			attrs = append(attrs, "out", t.Out)
		}
		if u := k.Upstream(); u != nil {
			attrs = append(attrs, "proxy", "/"+name+"/ -> "+u.Redacted())
		}
		log.Info("keeping the token alive", attrs...)
	}
	return keepers, nil
}

// closeKeepers closes every keeper at once: each waits for a refresh
// already sent, so closing them one after another would add up the waits.
func closeKeepers(keepers []*keeper.Keeper, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, k := range keepers {
		wg.Go(func() {
			if err := k.Close(); err != nil {
				log.Warn("stopping the token", "token", k.Name(), "error", k.Redact(err.Error()))
			}
		})
	}
	wg.Wait()
}

// writeInitial writes each keeper's token file once it has a token; the
// WaitGroup is done when every write has ended or ctx has.
func writeInitial(ctx context.Context, keepers []*keeper.Keeper, log *slog.Logger) *sync.WaitGroup {
	var wg sync.WaitGroup
	for _, k := range keepers {
		wg.Go(func() {
			if err := k.WriteInitial(ctx); err != nil && ctx.Err() == nil {
				log.Warn("no token to write to the token file yet", "token", k.Name(), "error", k.Redact(err.Error()))
			}
		})
	}
	return &wg
}

// watch waits until ctx ends, logging each token that is lost for good.
// With exitOnLost (one C2 token, as c2-keepalive ran), a lost token ends
// serve with an error instead; with rotations > 0 and one token, serve
// ends once the token has been refreshed that many times.
func watch(ctx context.Context, keepers []*keeper.Keeper, exitOnLost bool, rotations int, log *slog.Logger) error {
	lost := make(chan *keeper.Keeper, len(keepers))
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, k := range keepers {
		wg.Go(func() {
			select {
			case <-k.Lost():
				lost <- k
			case <-wctx.Done():
			}
		})
	}
	var refreshed <-chan struct{}
	if len(keepers) == 1 && rotations > 0 {
		refreshed = keepers[0].Refreshed()
	}
	for {
		select {
		case <-ctx.Done():
			log.Info("stopping: the tokens stay in their stores for the next start")
			return nil
		case k := <-lost:
			msg := lostMessage(k)
			if exitOnLost {
				return errors.New(msg)
			}
			log.Error(msg + "; serve goes on, and /healthz reports it")
		case <-refreshed:
			if keepers[0].Published() >= int64(rotations) {
				log.Info("done", "refreshes", keepers[0].Published())
				return nil
			}
		}
	}
}

// lostMessage says that k's token is lost, why, and what to do.
func lostMessage(k *keeper.Keeper) string {
	msg := fmt.Sprintf("the token %s is lost: %s", k.Name(), k.Status().LastError)
	if k.Kind() == config.AuthCode || k.Kind() == config.Device {
		msg += "; sign in with: bearer login " + k.Name()
	}
	return msg
}
