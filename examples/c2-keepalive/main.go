// Command c2-keepalive has moved into the bearer command, which keeps a
// C2 token (and OAuth 2, Climate Engine and login API tokens) alive for
// programs in any language, and serves it over a local endpoint as well
// as writing it to a file. bearer serve takes c2-keepalive's flags
// unchanged (-out, -token-file, $C2_TOKEN, -root, -store, -state,
// -interval, -rotations, -demo):
//
//	go install github.com/bearer-go/bearer/cmd/bearer@latest
//	C2_TOKEN=… bearer serve -out /run/algo/c2-token
//
// The command moved to its own module so that its dependencies (go-redis
// for shared stores, a configuration parser) stay out of the module graph
// of every program that imports the SDK. This program only says so, and
// exits with status 2.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// run tells where the command went, with the command line to use.
func run(args []string, stderr io.Writer) int {
	line := "bearer serve"
	if len(args) > 0 {
		line += " " + strings.Join(args, " ")
	}
	fmt.Fprintf(stderr, `c2-keepalive has moved into the bearer command, which takes the same flags:

    go install github.com/bearer-go/bearer/cmd/bearer@latest
    %s

See cmd/bearer in the bearer repository; bearer serve also serves the token
on a local endpoint (GET /v1/tokens/NAME, an authenticating proxy).
`, line)
	return 2
}
