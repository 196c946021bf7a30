package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// runOAuth is the OAuth part of the demo: client credentials, a token that
// lives s.tokenLifetime, requests throughout, and a revocation midway.
func runOAuth(ctx context.Context, w io.Writer, s settings) error {
	fmt.Fprintln(w, "Starting a token server and an API on loopback (no account, no network needed).")
	srv, err := oauthtest.New(oauthtest.Config{TokenLifetime: s.tokenLifetime, ExpiryMargin: -1})
	if err != nil {
		return err
	}
	auth := httptest.NewServer(srv)
	defer auth.Close()
	api := httptest.NewServer(srv.APIHandler())
	defer api.Close()
	user := srv.AddUser("pilot@example.org", "demo-password")
	client, err := srv.AddClient(oauthtest.Client{UserID: user.ID})
	if err != nil {
		return err
	}

	cc := &clientcredentials.Config{
		ClientID:     client.ClientID,
		ClientSecret: client.ClientSecret.Reveal(),
		TokenURL:     auth.URL + oauthtest.TokenPath,
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	var got atomic.Int64
	start := time.Now()
	refresher, err := tokenrefresh.New(ctx, tokenrefresh.Config{
		Refresh: func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) { return cc.Token(ctx) },
		OnRotate: func(_, tok *oauth2.Token) {
			n := got.Add(1)
			fmt.Fprintf(w, "  [%4.1fs] token #%d obtained in the background; it expires in %v\n",
				time.Since(start).Seconds(), n, time.Until(tok.Expiry).Round(100*time.Millisecond))
		},
	})
	if err != nil {
		return err
	}
	defer refresher.Close()
	c, err := bearer.NewClient(api.URL, bearer.WithTokenSource(refresher))
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "Calling the API %d times, every %v, with tokens that live %v.\n", s.requests, s.every, s.tokenLifetime)
	failed := 0
	for i := 1; i <= s.requests; i++ {
		if i == s.revokeAt {
			srv.RevokeAll()
			fmt.Fprintf(w, "  [%4.1fs] the server revokes every token it issued\n", time.Since(start).Seconds())
		}
		var echo struct{ Method string }
		if err := c.Get(ctx, oauthtest.EchoPath, &echo); err != nil {
			failed++
			fmt.Fprintf(w, "  [%4.1fs] request %d failed: %v\n", time.Since(start).Seconds(), i, err)
		}
		if err := sleep(ctx, s.every); err != nil {
			return err
		}
	}
	st := srv.Stats()
	fmt.Fprintf(w, "Done: %d requests, %d failed; %d tokens issued, %d answered 401.\n",
		s.requests, failed, st.TokensIssued, st.Unauthorized)
	if failed > 0 {
		return errors.New("some requests failed")
	}
	fmt.Fprintln(w, "Every token was refreshed in the background before it expired; the revoked one was")
	fmt.Fprintln(w, "replaced after its 401 and that request replayed once, so the caller never saw an error.")
	return nil
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
