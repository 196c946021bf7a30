// Command c2-keepalive keeps a C2 token alive for a piloting algorithm
// written in any language. It shows the c2 package as a sidecar: it reads
// the token a user issued at /charon/tokens/issue, rotates it through
// Charon every 55 minutes (so it never dies of an hour's disuse), and
// writes each new token, atomically and readable only by its owner, to a
// file the algorithm reads before each request. The lineage is kept in a
// store, so a restarted sidecar resumes from the latest token rather than
// the dead one it was first given.
//
// The store is named by -store: a path or file:///path is a state file
// (by default, {out}.state.json); redis://host:port/db?key=NAME is a key
// in Redis (rediss:// for TLS; a password goes in the URL's user part,
// redis://:password@host:port/db?key=NAME). Several sidecars, on one
// machine or many, that share a store keep one token alive together:
// under the store's lock, exactly one of them rotates the token each
// interval, and the others adopt the new token (from Redis at once, from
// a state file within a tenth of a second) and write it to their own -out files.
// Give every sidecar of one token the same store and the same first
// token; give each token its own key.
//
// It logs rotations and failures (never a token) on stderr, stops cleanly
// on SIGINT or SIGTERM, and exits with status 1 if the token is lost for
// good (revoked, expired, or a rotation whose answer was lost), with a
// message saying where to issue a new one.
//
// Usage:
//
//	C2_TOKEN=… c2-keepalive -out /run/algo/c2-token
//	c2-keepalive -token-file ~/c2-token.txt -out /run/algo/c2-token -root https://api-test.c2.noc.ac.uk
//	C2_TOKEN=… c2-keepalive -out /run/algo/c2-token -store 'redis://redis.internal:6379/0?key=bearer:c2:my-algorithm'
//	c2-keepalive -demo    # against an in-process fake C2, rotating every 2 s; stops after 3 rotations
//
// The algorithm then sends "Authorization: Bearer $(cat /run/algo/c2-token)".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bearer-go/bearer/c2"
	"golang.org/x/oauth2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "c2-keepalive:", err)
		os.Exit(1)
	}
}

// Defaults of the demo: fast enough to watch, slow enough to read.
const (
	demoInterval  = 2 * time.Second
	demoRotations = 3
)

// config is what the flags say.
type config struct {
	root      string
	tokenFile string
	out       string
	state     string
	store     string
	storeSpec *storeSpec
	interval  time.Duration
	rotations int
	demo      bool
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("c2-keepalive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.root, "root", c2.ProductionAPIRoot, "C2 API root")
	fs.StringVar(&cfg.tokenFile, "token-file", "", "file holding the token issued at {root}/charon/tokens/issue (default: $C2_TOKEN)")
	fs.StringVar(&cfg.out, "out", "", "file to write the current token to, mode 0600 (required, except with -demo)")
	fs.StringVar(&cfg.state, "state", "", "file keeping the token lineage across restarts (default: {out}.state.json); the same as -store with a path")
	fs.StringVar(&cfg.store, "store", "", "where the token lineage is kept and shared: "+storeUsage+" (default: -state)")
	fs.DurationVar(&cfg.interval, "interval", c2.DefaultRefreshInterval, "rotation interval (with -demo: 2s)")
	fs.IntVar(&cfg.rotations, "rotations", 0, "exit after this many new tokens, rotated here or by a sidecar sharing the store; 0 runs until stopped (with -demo: 3)")
	fs.BoolVar(&cfg.demo, "demo", false, "run against an in-process fake C2, with a fast interval")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: the token comes from -token-file or $C2_TOKEN", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.demo && !set["interval"] {
		cfg.interval = demoInterval
	}
	if cfg.demo && !set["rotations"] {
		cfg.rotations = demoRotations
	}
	if cfg.out == "" && !cfg.demo {
		return nil, errors.New("-out is required: the file the algorithm reads the token from")
	}
	if cfg.rotations < 0 {
		return nil, errors.New("-rotations must not be negative")
	}
	if set["store"] && set["state"] {
		return nil, errors.New("-store and -state both name the store: keep -store")
	}
	if set["store"] {
		spec, err := parseStore(cfg.store)
		if err != nil {
			return nil, err
		}
		cfg.storeSpec = spec
	}
	return cfg, nil
}

// readToken returns the initial token from -token-file, else $C2_TOKEN.
func readToken(cfg *config, getenv func(string) string) (string, error) {
	if cfg.tokenFile == "" {
		if tok := strings.TrimSpace(getenv("C2_TOKEN")); tok != "" {
			return tok, nil
		}
		return "", errors.New("no token: pass -token-file, or set C2_TOKEN, to the token issued at " + cfg.root + "/charon/tokens/issue")
	}
	data, err := os.ReadFile(cfg.tokenFile)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// run is the whole program: it keeps the token alive until ctx ends, the
// -rotations are done, or the token is lost.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var token string
	if cfg.demo {
		d, err := startDemo(cfg, log)
		if err != nil {
			return err
		}
		defer d.close()
		token = d.token
	} else if token, err = readToken(cfg, getenv); err != nil {
		return err
	}
	if cfg.storeSpec == nil {
		if cfg.state == "" {
			cfg.state = cfg.out + ".state.json"
		}
		cfg.storeSpec = &storeSpec{path: cfg.state}
	}
	return keepAlive(ctx, cfg, token, log)
}

// keepAlive runs the client and writes every token it holds to cfg.out.
func keepAlive(ctx context.Context, cfg *config, token string, log *slog.Logger) error {
	store, closeStore, err := cfg.storeSpec.open()
	if err != nil {
		return err
	}
	defer closeStore() // after the client's Close, deferred below
	out := &tokenFile{path: cfg.out, log: log}
	rotated := make(chan struct{}, 1)
	// Authenticate returns once a token that is due (as a freshly issued
	// one is) has been rotated, so the file never holds one about to die.
	c, err := c2.Authenticate(ctx, cfg.root, token,
		c2.WithStore(store),
		c2.WithRefreshInterval(cfg.interval),
		c2.WithLogger(log),
		c2.WithOnRotate(func(_, tok *oauth2.Token) {
			out.rotated(tok.AccessToken)
			select {
			case rotated <- struct{}{}:
			default:
			}
		}))
	if err != nil && ctx.Err() != nil {
		return nil // stopped while the first rotation was being retried
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if tok, err := c.Token(ctx); err == nil {
		out.initial(tok.AccessToken)
	}
	log.Info("keeping the C2 token alive", "root", cfg.root, "out", cfg.out, "store", cfg.storeSpec.String(), "interval", cfg.interval)
	for n := 0; cfg.rotations == 0 || n < cfg.rotations; {
		select {
		case <-ctx.Done():
			log.Info("stopping: the token stays alive until an hour after its last use", "out", cfg.out)
			return nil
		case <-c.Lost():
			return fmt.Errorf("the token is lost: %w", c.Err())
		case <-rotated:
			n++
			log.Info("token rotated", "rotations", n, "next_rotation_in", time.Until(c.Status().NextRefresh).Round(time.Second))
		}
	}
	log.Info("done", "rotations", cfg.rotations)
	return nil
}
