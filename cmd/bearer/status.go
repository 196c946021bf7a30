package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
)

// errUnhealthy makes bearer status exit 1 when a token is not healthy, so
// scripts can test it.
var errUnhealthy = errors.New("not every token is healthy")

// status prints each token's health, as the running serve reports it, as
// a table.
func status(ctx context.Context, e env) error {
	fs := flag.NewFlagSet("bearer status", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfgFlag := configFlag(fs)
	var ep endpointFlags
	ep.register(fs)
	if err := fs.Parse(e.args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: bearer status takes no arguments", errUsage)
	}
	srv := ep.server(nil)
	if !ep.set() {
		cfg, err := loadConfig(*cfgFlag, e)
		if err != nil {
			return err
		}
		srv = cfg.Server
	}
	c, err := newServeClient(srv)
	if err != nil {
		return fmt.Errorf("%w: start bearer serve, or give its -socket or -listen", err)
	}
	defer c.close()
	var h struct {
		Healthy bool            `json:"healthy"`
		Tokens  []keeper.Status `json:"tokens"`
	}
	if _, err := c.get(ctx, "/healthz", &h, http.StatusServiceUnavailable); err != nil {
		if errors.Is(err, errNotServing) {
			return fmt.Errorf("%w: start bearer serve", err)
		}
		return err
	}
	printStatus(e.stdout, h.Tokens, time.Now())
	if !h.Healthy {
		return errUnhealthy
	}
	return nil
}

// printStatus writes the table: one row per token.
func printStatus(w io.Writer, tokens []keeper.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tHEALTH\tLAST REFRESH\tNEXT REFRESH\tFAILURES\tLAST ERROR")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Source, health(t),
			relative(t.LastRefresh, now), relative(t.NextRefresh, now), strconv.Itoa(t.ConsecutiveFailures), oneLine(t.LastError))
	}
	tw.Flush()
}

// health is one word for a token's state.
func health(t keeper.Status) string {
	switch {
	case t.Lost:
		return "LOST"
	case t.Healthy:
		return "ok"
	case !t.Valid:
		return "NO TOKEN"
	case t.StoreUnavailable:
		return "store down"
	case t.Unsaved:
		return "unsaved"
	}
	return "retrying"
}

// relative says when t is from now: "3m ago", "in 52m", or "-".
func relative(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := t.Sub(now).Round(time.Second)
	switch {
	case d == 0:
		return "now"
	case d < 0:
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}

// maxErrorWidth bounds the last error in the table, to keep rows on one
// line; the whole message is in /healthz.
const maxErrorWidth = 100

// oneLine returns s on one line, cut to maxErrorWidth runes.
func oneLine(s string) string {
	if s == "" {
		return "-"
	}
	r := []rune(s)
	for i, c := range r {
		if c == '\n' || c == '\t' {
			r[i] = ' '
		}
	}
	if len(r) > maxErrorWidth {
		r = append(r[:maxErrorWidth-1], '…')
	}
	return string(r)
}
