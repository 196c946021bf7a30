package keeper

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// Options are what every Keeper shares.
type Options struct {
	// Logger receives the sources' logs. Required.
	Logger *slog.Logger
	// Secrets is the registry of every secret the command has seen: the
	// configured ones and each token. Required.
	Secrets *redact.Registry
	// Observer, if not nil, receives every event of the token's source
	// once the Keeper has counted it.
	Observer tokenrefresh.Observer
}

// Build starts keeping the token name alive as t configures it. ctx bounds
// the start only (the store's first load).
func Build(ctx context.Context, name string, t *config.Token, o Options) (*Keeper, error) {
	for _, s := range []config.Secret{t.Token, t.ClientSecret, t.RefreshToken, t.Password, t.StorePassword} {
		o.Secrets.Add(s.Value.Reveal())
	}
	if t.ClientSecret.Set() {
		// The client_secret_basic header (RFC 6749 2.3.1), which a server
		// may echo in an error: the registry's base64 form is of the
		// secret alone.
		o.Secrets.Add(base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(t.ClientID) + ":" + url.QueryEscape(t.ClientSecret.Value.Reveal()))))
	}
	k := &Keeper{name: name, kind: t.Source, secrets: o.Secrets, log: o.Logger.With("token", name),
		refreshed: make(chan struct{}, 1), ev: events{next: o.Observer}}
	if t.Out != "" {
		k.out = &tokenFile{path: t.Out, log: k.log}
	}
	store, err := k.openStore(t)
	if err != nil {
		return nil, fmt.Errorf("[tokens.%s]: %w", name, err)
	}
	if err := k.start(ctx, t, store); err != nil {
		k.Close()
		return nil, fmt.Errorf("[tokens.%s]: %s", name, k.secrets.Redact(err.Error()))
	}
	return k, nil
}

// start builds the source of t's kind.
func (k *Keeper) start(ctx context.Context, t *config.Token, store tokenrefresh.Store) error {
	switch t.Source {
	case config.C2:
		return k.startC2(ctx, t, store)
	case config.ClientCredentials, config.RefreshToken, config.AuthCode, config.Device, config.ClimateEngine:
		return k.startOAuth(ctx, t, store)
	case config.LoginToken:
		return k.startLogin(ctx, t, store)
	}
	return fmt.Errorf("source %q is unknown", t.Source)
}

// openStore opens t's store, or returns nil for none (memory only). Its
// release is the Keeper's last closer.
func (k *Keeper) openStore(t *config.Token) (tokenrefresh.Store, error) {
	return OpenStore(t, func(release func()) {
		k.closers = append(k.closers, func() error { release(); return nil })
	})
}

// OpenStore opens t's store (nil if it has none) and hands the function
// that releases it to onRelease, to call once its users are closed.
func OpenStore(t *config.Token, onRelease func(func())) (tokenrefresh.Store, error) {
	if t.Store == "" {
		return nil, nil
	}
	spec, err := parseStore(t.Store)
	if err != nil {
		return nil, err
	}
	store, release, err := spec.open(t.StorePassword.Value)
	if err != nil {
		return nil, err
	}
	onRelease(release)
	return store, nil
}

// DescribeStore describes t's store for logs and messages, without a
// password.
func DescribeStore(t *config.Token) string {
	if t.Store == "" {
		return "memory"
	}
	spec, err := parseStore(t.Store)
	if err != nil {
		return "invalid"
	}
	return spec.String()
}

// setUpstream sets where the proxy forwards: t.Upstream, else def.
func (k *Keeper) setUpstream(t *config.Token, def string) error {
	raw := t.Upstream
	if raw == "" {
		raw = def
	}
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("upstream is not a URL")
	}
	k.upstream = u
	return nil
}

// closeFirst puts c before the closers already registered: a source must
// stop before its store is released.
func (k *Keeper) closeFirst(c func() error) {
	k.closers = append([]func() error{c}, k.closers...)
}
