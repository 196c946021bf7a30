package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usage is what bearer prints for help and for a wrong command.
const usage = `bearer keeps bearer tokens alive for programs in any language.

Usage:
  bearer serve  [-config FILE] [-allow-remote]     keep the tokens alive and serve them
  bearer serve  -out FILE [-token-file FILE] ...   one C2 token, as examples/c2-keepalive did
  bearer token  [-config FILE] NAME                print a live token
  bearer status [-config FILE]                     each token's health, as a table
  bearer login  [-config FILE] NAME                sign a person in (authorization code or device code)
  bearer revoke [-config FILE] NAME                revoke a token at its server

The configuration is -config, else $BEARER_CONFIG, else
$XDG_CONFIG_HOME/bearer/bearer.toml. Run "bearer COMMAND -h" for a
command's flags.
`

// env is what a command gets from the process: its arguments, environment
// and streams. Tests run commands in-process with their own.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// errUsage marks an error in the command line: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, env{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp), errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "bearer:", err)
		os.Exit(1)
	}
}

// run runs the command e.args names.
func run(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return errUsage
	}
	cmd, rest := e.args[0], e.args[1:]
	e.args = rest
	switch cmd {
	case "serve":
		return serve(ctx, e)
	case "token":
		return token(ctx, e)
	case "status":
		return status(ctx, e)
	case "login":
		return loginCmd(ctx, e)
	case "revoke":
		return revoke(ctx, e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	fmt.Fprintf(e.stderr, "bearer: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
