package keeper

import (
	"context"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// oauth2Token shortens the token type in signatures.
type oauth2Token = oauth2.Token

// DefaultC2Fence is how long before a planned Charon rotation serve stops
// handing out the token (and holds proxied requests) until the new one is
// in: a token handed out just before the fence has this long to reach C2
// before Charon kills it. Two seconds cover a request on a slow link and
// hold callers at most four seconds once in 55 minutes.
const DefaultC2Fence = 2 * time.Second

// charonPath is the part of C2 the proxy refuses: a rotation sent through
// it would kill the token and hand its successor to the caller only.
const charonPath = "/charon/"

// fenceFor returns the fence of a C2 token rotated every interval: the
// configured one, or DefaultC2Fence, at most a quarter of the interval
// (a fence must stay below half of it).
func fenceFor(t *config.Token, interval time.Duration) time.Duration {
	if t.Fence.Set {
		return t.Fence.Duration
	}
	return min(DefaultC2Fence, interval/4)
}

// startC2 keeps a C2 token alive through Charon rotations.
func (k *Keeper) startC2(ctx context.Context, t *config.Token, store tokenrefresh.Store) error {
	root := t.APIRoot
	if root == "" {
		root = c2.ProductionAPIRoot
	}
	interval := t.Interval.Duration
	if interval == 0 {
		interval = c2.DefaultRefreshInterval
	}
	opts := []c2.Option{c2.WithRefreshInterval(interval), c2.WithFence(fenceFor(t, interval)),
		c2.WithLogger(k.log), c2.WithOnRotate(k.rotated), c2.WithObserver(&k.ev)}
	if store != nil {
		opts = append(opts, c2.WithStore(store))
	}
	c, err := c2.New(ctx, root, t.Token.Value.Reveal(), opts...)
	if err != nil {
		return err
	}
	k.src, k.inv = c, c
	k.killsOld, k.deny = true, []string{charonPath}
	k.closeFirst(c.Close)
	return k.setUpstream(t, root)
}
