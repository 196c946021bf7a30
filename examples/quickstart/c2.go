package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
	"golang.org/x/oauth2"
)

// runC2 is the C2 part of the demo: a token from "Charon" rotated every
// s.c2Interval instead of every 55 minutes, each rotation killing the old
// token, while the program keeps calling the C2 APIs.
func runC2(ctx context.Context, w io.Writer, s settings) error {
	fmt.Fprintln(w, "\nNow C2: a fake C2 on loopback, whose Charon kills a token when it rotates it.")
	fake := c2test.New(c2test.Options{})
	srv := httptest.NewServer(fake)
	defer srv.Close()
	token := fake.IssueToken("slocum/unit_398") // as if pasted from the Charon web page

	var rotations atomic.Int64
	start := time.Now()
	c, err := c2.New(ctx, srv.URL, token,
		c2.WithRefreshInterval(s.c2Interval),
		c2.WithOnRotate(func(_, _ *oauth2.Token) {
			n := rotations.Add(1)
			fmt.Fprintf(w, "  [%4.1fs] rotation #%d: Charon issued a new token and killed the old one\n", time.Since(start).Seconds(), n)
		}))
	if err != nil {
		return err
	}
	defer c.Close()

	fmt.Fprintf(w, "Listing drivers and glider positions %d times, every %v, rotating every %v.\n", s.c2Requests, s.every, s.c2Interval)
	failed := 0
	for i := 1; i <= s.c2Requests; i++ {
		_, err1 := c.Drivers.List(ctx)
		_, err2 := c.Positions.List(ctx, c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "unit_398", Limit: 5})
		if err := errors.Join(err1, err2); err != nil {
			failed++
			fmt.Fprintf(w, "  request %d failed: %v\n", i, err)
		}
		if err := sleep(ctx, s.every); err != nil {
			return err
		}
	}
	_, err = c.Positions.List(ctx, c2.PositionsQuery{PlatformType: "autosub_lr", PlatformSerial: "ALR_4"})
	var perm *c2.PermissionError
	if errors.As(err, &perm) {
		fmt.Fprintf(w, "A platform this token may not see gives a typed error, not a retry: %q\n", perm.Permission)
	}
	st := fake.Stats()
	fmt.Fprintf(w, "Done: %d rounds, %d failed; %d rotations; the original token is dead: %v.\n",
		s.c2Requests, failed, st.Rotations, !fake.Valid(token))
	if failed > 0 {
		return errors.New("some C2 requests failed")
	}
	return nil
}
